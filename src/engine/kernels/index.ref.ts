// The scalar reference kernels, one object, same names and argument lists as the SIMD exports plus a
// leading heap argument (see ABI.md).
import * as elementwise from './elementwise.ref.js';

export const refKernels = {
  ...elementwise,
};
