import { describe, it, expect } from 'vitest';
import { parseQuantity, parseQuantityExact, toMilli, toValue } from '../../src/objects/quantity.js';
import { FlotillaError } from '../../src/model/diagnostics.js';

describe('parseQuantity', () => {
  const table: Array<[string | number, number]> = [
    ['2', 2],
    ['500m', 0.5],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['3.', 3],
    ['+4', 4],
    ['-1', -1],
    ['1Ki', 1024],
    ['16Gi', 17179869184],
    ['1Mi', 1048576],
    ['1Ti', 1099511627776],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['100M', 100_000_000],
    ['1k', 1000],
    ['2G', 2e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['100n', 1e-7],
    ['250u', 0.00025],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1.5e-3', 0.0015],
    ['12e+2', 1200],
    [3, 3],
    [0.25, 0.25],
    [1e21, 1e21],
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      expect(parseQuantity(input)).toBeCloseTo(expected, 12);
    });
  }

  for (const bad of ['', ' 1', '1 ', 'abc', '1e', '1Kib', '1ki', 'm', '1.2.3', '--1', '1e1.5', '0x10', '1e99999']) {
    it(`${JSON.stringify(bad)} → INVALID_QUANTITY`, () => {
      let error: unknown;
      try {
        parseQuantity(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FlotillaError);
      expect((error as FlotillaError).code).toBe('INVALID_QUANTITY');
    });
  }

  it('NaN, Infinity and non-strings → INVALID_QUANTITY', () => {
    expect(() => parseQuantity(Number.NaN)).toThrow(/invalid quantity/);
    expect(() => parseQuantity(Number.POSITIVE_INFINITY)).toThrow(/invalid quantity/);
    expect(() => parseQuantity(null as unknown as string)).toThrow(/invalid quantity/);
  });

  it('is exact: "0.1" is exactly 1/10', () => {
    expect(parseQuantityExact('0.1')).toEqual({ num: 1n, den: 10n });
  });
});

describe('toMilli (cpu)', () => {
  it('"500m" → 500, "2" → 2000, "1.5" → 1500, "0.1" → 100 (exact, not 100.00000000000001 rounded up)', () => {
    expect(toMilli('500m')).toBe(500);
    expect(toMilli('2')).toBe(2000);
    expect(toMilli('1.5')).toBe(1500);
    expect(toMilli('0.1')).toBe(100);
    expect(toMilli(0.1)).toBe(100);
  });

  it('sub-millicore amounts round up like MilliValue(): "100u" → 1, "1n" → 1', () => {
    expect(toMilli('100u')).toBe(1);
    expect(toMilli('1n')).toBe(1);
  });
});

describe('toValue', () => {
  it('rounds up like Value(): "1.5" → 2, "500m" → 1, "16Gi" → 17179869184, "-1.5" → -1', () => {
    expect(toValue('1.5')).toBe(2);
    expect(toValue('500m')).toBe(1);
    expect(toValue('16Gi')).toBe(17179869184);
    expect(toValue('-1.5')).toBe(-1);
  });
});
