import { describe, expect, it } from 'vitest';
import { describeInput, editDistance, suggestKey } from '../../../src/contracts/messages.js';

describe('editDistance (optimal string alignment)', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
    expect(editDistance('optimizer', 'optimizer')).toBe(0);
    expect(editDistance('optimiser', 'optimizer')).toBe(1);
    expect(editDistance('epoch', 'epochs')).toBe(1);
    expect(editDistance('epcohs', 'epochs')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('suggestKey', () => {
  const training = ['epochs', 'batchSize', 'shuffle', 'seed', 'validationSplit', 'maxWallSeconds'];
  it('matches the same name in another spelling', () => {
    expect(suggestKey('batch_size', training)).toBe('batchSize');
    expect(suggestKey('Batch-Size', training)).toBe('batchSize');
    expect(suggestKey('validation_split', training)).toBe('validationSplit');
  });
  it('knows the names of other libraries, where ours is allowed', () => {
    expect(suggestKey('learning_rate', ['type', 'lr', 'betas'])).toBe('lr');
    expect(suggestKey('epsilon', ['lr', 'eps'])).toBe('eps');
    expect(suggestKey('num_epochs', training)).toBe('epochs');
    expect(suggestKey('learning_rate', training)).toBeNull();
  });
  it('takes a near miss, not a far one', () => {
    expect(suggestKey('sede', training)).toBe('seed');
    expect(suggestKey('zzz', training)).toBeNull();
    expect(suggestKey('ab', ['xy'])).toBeNull();
  });
});

describe('describeInput', () => {
  it('says what was sent, briefly', () => {
    expect(describeInput('cat')).toBe('string ("cat")');
    expect(describeInput(3)).toBe('number (3)');
    expect(describeInput(null)).toBe('null');
    expect(describeInput([1])).toBe('array');
    expect(describeInput({})).toBe('object');
    expect(describeInput('x'.repeat(50))).toBe(`string ("${'x'.repeat(40)}…")`);
  });
});
