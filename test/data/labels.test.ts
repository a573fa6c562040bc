import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalLabel, CONTEMPT, FER_LABELS, ferIndex } from '../../src/data/labels.js';

test('FER_LABELS follow the FER2013 code order', () => {
  assert.deepEqual([...FER_LABELS], ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']);
  assert.equal(ferIndex('neutral'), 6);
  assert.equal(ferIndex(CONTEMPT), -1);
});

test('canonicalLabel maps aliases case-insensitively', () => {
  const cases: [string, string][] = [
    ['anger', 'angry'], ['Angry', 'angry'], ['DISGUSTED', 'disgust'], ['disgust', 'disgust'],
    ['fearful', 'fear'], ['afraid', 'fear'], ['Fear', 'fear'], ['happiness', 'happy'], ['joy', 'happy'],
    ['sadness', 'sad'], ['Sad', 'sad'], ['surprised', 'surprise'], ['surprise', 'surprise'],
    ['neutral', 'neutral'], ['Neutrality', 'neutral'], ['contempt', 'contempt'], [' happy ', 'happy'],
  ];
  for (const [name, want] of cases) assert.equal(canonicalLabel(name), want, name);
});

test('canonicalLabel maps JAFFE codes and rejects unknown names', () => {
  const jaffe: Record<string, string> = { AN: 'angry', DI: 'disgust', FE: 'fear', HA: 'happy', SA: 'sad', SU: 'surprise', NE: 'neutral' };
  for (const [code, want] of Object.entries(jaffe)) assert.equal(canonicalLabel(code), want, code);
  assert.equal(canonicalLabel('thinking'), undefined);
  assert.equal(canonicalLabel(''), undefined);
});
