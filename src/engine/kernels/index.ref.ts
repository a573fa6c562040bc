// The scalar reference kernels, one object, same names and argument lists as the SIMD exports plus a
// leading heap argument (see ABI.md).
import { relu_fwd, relu_bwd, add_fwd, copy_acc, dropout_fwd, mul_bwd } from './elementwise.ref.js';
import * as conv2d from './conv2d.ref.js';
import * as dwconv from './dwconv.ref.js';
import * as pool from './pool.ref.js';
import * as pointwise from './pointwise.ref.js';
import * as dense from './dense.ref.js';
import * as batchnorm from './batchnorm.ref.js';
import * as loss from './loss.ref.js';
import * as optim from './optim.ref.js';
import * as resample from './resample.ref.js';

export const refKernels = {
  relu_fwd, relu_bwd, add_fwd, copy_acc, dropout_fwd, mul_bwd,
  ...conv2d, ...dwconv, ...pool, ...pointwise, ...dense, ...batchnorm, ...loss, ...optim, ...resample,
};
