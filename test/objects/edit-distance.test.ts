// Edit distance behind "did you mean": a typo, a missing or doubled letter and a swapped pair each cost 1.
import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../src/objects/edit-distance.js';

describe('editDistance (optimal string alignment)', () => {
  it.each([
    ['replicas', 'replicas', 0],
    ['replicass', 'replicas', 1],
    ['replcas', 'replicas', 1],
    ['replcias', 'replicas', 1],
    ['clusterAfinity', 'clusterAffinity', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['ca', 'abc', 3],
  ])('%s → %s: %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it('stops early past the limit, answering limit + 1', () => {
    expect(editDistance('completelyDifferent', 'spec', 2)).toBe(3);
    expect(editDistance('abcdef', 'badcfe', 2)).toBe(3);
    expect(editDistance('abcdef', 'badcfe', 3)).toBe(3);
  });
});

describe('closestMatch', () => {
  const fields = ['image', 'imagePullPolicy', 'name', 'ports', 'resources'];
  it('the nearest candidate within 2 edits, the first on a tie; none for a far word or a rewrite of a short one', () => {
    expect(closestMatch('imagePullPolicyy', fields)).toBe('imagePullPolicy');
    expect(closestMatch('resourcse', fields)).toBe('resources');
    expect(closestMatch('imag', fields)).toBe('image');
    expect(closestMatch('volumes', fields)).toBeNull();
    expect(closestMatch('ab', ['name', 'xy'])).toBeNull();
    expect(closestMatch('nam', ['name', 'nap'])).toBe('name');
  });
});
