/**
 * Learning-rate schedules. `lr(step)` is a pure function of the step for all but reduce-on-plateau, which
 * also listens to a validation metric at the end of each epoch; its state is small and serialisable so
 * a resumed run continues exactly.
 */
export type ScheduleSpec =
  | { type: 'constant' }
  /** linear warm-up from 0 to the base rate, then cosine decay to minLr at totalSteps */
  | { type: 'cosine'; totalSteps: number; warmupSteps?: number; minLr?: number }
  /** Smith's one-cycle (PyTorch OneCycleLR, cosine annealing): base/div -> base -> base/(div*finalDiv) */
  | { type: 'onecycle'; totalSteps: number; pctStart?: number; divFactor?: number; finalDivFactor?: number }
  /** multiply by gamma every stepSize steps */
  | { type: 'step'; stepSize: number; gamma?: number }
  /** multiply by factor when the metric has not improved for `patience` epochs */
  | { type: 'plateau'; factor?: number; patience?: number; threshold?: number; mode?: 'max' | 'min'; minLr?: number };

export interface PlateauState { scale: number; best: number; bad: number }

export class LrSchedule {
  private plateau: PlateauState = { scale: 1, best: NaN, bad: 0 };
  constructor(readonly baseLr: number, readonly spec: ScheduleSpec = { type: 'constant' }) {
    if (!(baseLr > 0)) throw new Error(`learning rate must be > 0, got ${baseLr}`);
  }

  /** Learning rate for optimizer step `step` (0-based). */
  lr(step: number): number {
    const s = this.spec, base = this.baseLr;
    switch (s.type) {
      case 'constant': return base;
      case 'cosine': {
        const warm = s.warmupSteps ?? 0, min = s.minLr ?? 0;
        if (step < warm) return (base * (step + 1)) / warm;
        const t = Math.min(1, (step - warm) / Math.max(1, s.totalSteps - warm));
        return min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * t));
      }
      case 'onecycle': {
        const pct = s.pctStart ?? 0.3, div = s.divFactor ?? 25, fdiv = s.finalDivFactor ?? 1e4;
        const up = Math.max(1, Math.floor(pct * s.totalSteps) - 1), total = Math.max(up + 1, s.totalSteps - 1);
        const cos = (a: number, b: number, t: number) => b + ((a - b) / 2) * (1 + Math.cos(Math.PI * Math.min(1, t)));
        const start = base / div, end = start / fdiv;
        return step <= up ? cos(start, base, step / up) : cos(base, end, (step - up) / (total - up));
      }
      case 'step': return base * Math.pow(s.gamma ?? 0.1, Math.floor(step / s.stepSize));
      case 'plateau': return Math.max(s.minLr ?? 0, base * this.plateau.scale);
    }
  }

  /** Call once per epoch with the validation metric (used by 'plateau'; a no-op for the others). */
  epochEnd(metric: number): void {
    const s = this.spec;
    if (s.type !== 'plateau') return;
    const st = this.plateau, thr = s.threshold ?? 1e-4, max = (s.mode ?? 'max') === 'max';
    const better = Number.isNaN(st.best) || (max ? metric > st.best * (1 + thr) : metric < st.best * (1 - thr));
    if (better) { st.best = metric; st.bad = 0; return; }
    if (++st.bad > (s.patience ?? 10)) { st.scale *= s.factor ?? 0.1; st.bad = 0; }
  }

  get state(): PlateauState { return { ...this.plateau }; }
  set state(s: PlateauState) { this.plateau = { ...s }; }
}
