/**
 * The test-time augmentations and how many views of an image each runs a model on: `none`, the image alone;
 * `flip`, the image and its mirror image; `tencrop`, the 4 corner crops, the centre crop and their mirror
 * images (augment.ts's tenCrop). A table of its own, with no import, in the data layer beside the views
 * themselves, so that eval's dataset prediction and the classifiers of Node and the browser
 * (pipeline/face-views.ts) share it without the pipeline depending on eval.
 */
export const TTA_VIEWS = { none: 1, flip: 2, tencrop: 10 } as const;
export type Tta = keyof typeof TTA_VIEWS;
export const TTAS = Object.keys(TTA_VIEWS) as Tta[];

export function isTta(v: string): v is Tta {
  return Object.hasOwn(TTA_VIEWS, v);
}
