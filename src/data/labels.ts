/**
 * Expression labels. Every reader maps its dataset's own class names onto these, so a model trained on one
 * dataset can be evaluated on another without a lookup table per pair.
 */

/** The 7 FER2013 classes; the array index is the FER2013 `emotion` code (0 = angry ... 6 = neutral). */
export const FER_LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export type FerLabel = (typeof FER_LABELS)[number];

/** CK+'s 8th expression. Not in FER2013, so readers keep it only when asked (see ckplus `keepContempt`). */
export const CONTEMPT = 'contempt';

/** The canonical names, lower case, keyed by every alias a dataset folder or file name is known to use. */
const ALIASES: Record<string, string> = {
  angry: 'angry', anger: 'angry', an: 'angry',
  disgust: 'disgust', disgusted: 'disgust', di: 'disgust',
  fear: 'fear', fearful: 'fear', afraid: 'fear', fe: 'fear',
  happy: 'happy', happiness: 'happy', joy: 'happy', ha: 'happy',
  sad: 'sad', sadness: 'sad', sa: 'sad',
  surprise: 'surprise', surprised: 'surprise', su: 'surprise',
  neutral: 'neutral', neutrality: 'neutral', ne: 'neutral',
  contempt: CONTEMPT,
};

/**
 * The canonical label for a class name or code, case-insensitive, or undefined if the name is not an
 * expression we know. JAFFE's two-letter codes (AN, DI, FE, HA, SA, SU, NE) are accepted too.
 */
export function canonicalLabel(name: string): string | undefined {
  return ALIASES[name.trim().toLowerCase()];
}

/** The FER2013 index of a canonical label, or -1 (e.g. for contempt or a custom class). */
export function ferIndex(label: string): number {
  return (FER_LABELS as readonly string[]).indexOf(label);
}
