// optim kernels (AssemblyScript SIMD): see ABI.md. Scalar reference: optim.ref.ts.
// Units are elements; vector body and scalar tail use the same f32 formula, so results are split-independent.
import { fmadd } from './fma.simd';

@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

export function sgd_step(p: usize, g: usize, v: usize, len: i32, lr: f32, momentum: f32, dampening: f32,
  weightDecay: f32, nesterov: i32, s: i32, e: i32): void {
  const lrv = f32x4.splat(lr), wdv = f32x4.splat(weightDecay), mv = f32x4.splat(momentum);
  const dm: f32 = 1 - dampening, dmv = f32x4.splat(dm);
  let i = s;
  if (momentum != 0) {
    for (; i + 4 <= e; i += 4) {
      const pv = v128.load(at(p, i));
      let d = fmadd(wdv, pv, v128.load(at(g, i)));
      const b = fmadd(dmv, d, f32x4.mul(mv, v128.load(at(v, i))));
      v128.store(at(v, i), b);
      d = nesterov ? fmadd(mv, b, d) : b;
      v128.store(at(p, i), f32x4.sub(pv, f32x4.mul(lrv, d)));
    }
    for (; i < e; i++) {
      const pv = load<f32>(at(p, i));
      let d = load<f32>(at(g, i)) + weightDecay * pv;
      const b = momentum * load<f32>(at(v, i)) + dm * d;
      store<f32>(at(v, i), b);
      d = nesterov ? d + momentum * b : b;
      store<f32>(at(p, i), pv - lr * d);
    }
  } else {
    for (; i + 4 <= e; i += 4) {
      const pv = v128.load(at(p, i));
      const d = fmadd(wdv, pv, v128.load(at(g, i)));
      v128.store(at(p, i), f32x4.sub(pv, f32x4.mul(lrv, d)));
    }
    for (; i < e; i++) {
      const pv = load<f32>(at(p, i));
      store<f32>(at(p, i), pv - lr * (load<f32>(at(g, i)) + weightDecay * pv));
    }
  }
}

export function adam_step(p: usize, g: usize, m: usize, v: usize, len: i32, lr: f32, beta1: f32, beta2: f32,
  eps: f32, weightDecay: f32, decoupled: i32, bc1: f32, bc2: f32, s: i32, e: i32): void {
  const b1 = beta1, b2 = beta2, ob1: f32 = 1 - beta1, ob2: f32 = 1 - beta2;
  const step: f32 = lr / bc1, ibc2: f32 = 1 / bc2, lwd: f32 = lr * weightDecay;
  // decoupled: p *= (1 - lr*wd); coupled: g += wd*p
  const pd: f32 = decoupled ? 1 - lwd : 1, gw: f32 = decoupled ? 0 : weightDecay;
  const b1v = f32x4.splat(b1), b2v = f32x4.splat(b2), ob1v = f32x4.splat(ob1), ob2v = f32x4.splat(ob2);
  const stepv = f32x4.splat(step), ibc2v = f32x4.splat(ibc2), epsv = f32x4.splat(eps), pdv = f32x4.splat(pd), gwv = f32x4.splat(gw);
  let i = s;
  for (; i + 4 <= e; i += 4) {
    const p0 = v128.load(at(p, i));
    const gi = fmadd(gwv, p0, v128.load(at(g, i)));
    const mi = fmadd(ob1v, gi, f32x4.mul(b1v, v128.load(at(m, i))));
    const vi = fmadd(ob2v, f32x4.mul(gi, gi), f32x4.mul(b2v, v128.load(at(v, i))));
    v128.store(at(m, i), mi); v128.store(at(v, i), vi);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vi, ibc2v)), epsv);
    v128.store(at(p, i), f32x4.sub(f32x4.mul(p0, pdv), f32x4.div(f32x4.mul(stepv, mi), den)));
  }
  for (; i < e; i++) {
    const p0 = load<f32>(at(p, i));
    const gi = load<f32>(at(g, i)) + gw * p0;
    const mi = b1 * load<f32>(at(m, i)) + ob1 * gi;
    const vi = b2 * load<f32>(at(v, i)) + ob2 * (gi * gi);
    store<f32>(at(m, i), mi); store<f32>(at(v, i), vi);
    store<f32>(at(p, i), p0 * pd - (step * mi) / (sqrt<f32>(vi * ibc2) + eps));
  }
}
