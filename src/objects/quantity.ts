// Kubernetes resource quantities ("500m", "16Gi", "1e3") as the capacity estimator needs them.
// Parsing is exact (BigInt rationals) so that rounding follows apimachinery's resource.Quantity:
// Value() and MilliValue() round up, and "0.1" cpu is exactly 100 millicores, never 100.000…01.
import { FlotillaError } from '../model/diagnostics.js';

/** An exact quantity num/den in base units (den > 0). */
export interface QuantityRational {
  num: bigint;
  den: bigint;
}

// <sign><digits>[.<digits>]<suffix>, suffix ∈ binary SI | decimal exponent | decimal SI (apimachinery quantity.go).
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|([numkMGTPE]))?$/;
const BINARY_POWER: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL_POWER: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
/** Exponents beyond this are rejected instead of building astronomically large BigInts. */
const MAX_EXPONENT = 400;

function invalid(q: unknown, why: string): FlotillaError {
  return new FlotillaError('INVALID_QUANTITY', `invalid quantity ${JSON.stringify(q)}: ${why}`, { quantity: q });
}

/** Parses a quantity exactly; throws FlotillaError INVALID_QUANTITY when malformed. */
export function parseQuantityExact(q: string | number): QuantityRational {
  let text: string;
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw invalid(q, 'not a finite number');
    text = String(q);
  } else if (typeof q === 'string') {
    text = q;
  } else {
    throw invalid(q, 'expected a string or a number');
  }
  const m = QUANTITY.exec(text);
  if (!m) throw invalid(q, 'expected e.g. "500m", "2", "1.5", "16Gi", "1e3"');
  const [, sign, digits, binary, exponent, decimal] = m;
  const dot = digits!.indexOf('.');
  const intPart = dot < 0 ? digits! : digits!.slice(0, dot);
  const fracPart = dot < 0 ? '' : digits!.slice(dot + 1);
  let num = BigInt((intPart || '0') + fracPart);
  let den = 10n ** BigInt(fracPart.length);
  let power10 = 0;
  if (binary) num <<= BINARY_POWER[binary]!;
  else if (exponent !== undefined) power10 = Number(exponent);
  else if (decimal) power10 = DECIMAL_POWER[decimal]!;
  if (Math.abs(power10) > MAX_EXPONENT) throw invalid(q, 'exponent out of range');
  if (power10 > 0) num *= 10n ** BigInt(power10);
  else if (power10 < 0) den *= 10n ** BigInt(-power10);
  if (sign === '-') num = -num;
  return { num, den };
}

/** ⌈num/den⌉ for den > 0, as a number. */
function ceilDiv(num: bigint, den: bigint): number {
  const q = num / den; // truncates toward zero
  return Number(num % den !== 0n && num > 0n ? q + 1n : q);
}

/** Exact rational → nearest number (precise even when num and den exceed 2^53). */
function toNumber({ num, den }: QuantityRational): number {
  if (den === 1n) return Number(num);
  const whole = num / den;
  return Number(whole) + Number(num - whole * den) / Number(den);
}

/** A quantity in base units ("500m" → 0.5, "16Gi" → 17179869184); throws INVALID_QUANTITY when malformed. */
export function parseQuantity(q: string | number): number {
  return toNumber(parseQuantityExact(q));
}

/** A quantity in milli-units rounded up, like resource.Quantity.MilliValue() (cpu: "1.5" → 1500). */
export function toMilli(q: string | number): number {
  const { num, den } = parseQuantityExact(q);
  return ceilDiv(num * 1000n, den);
}

/** A quantity in whole base units rounded up, like resource.Quantity.Value() ("1.5" → 2). */
export function toValue(q: string | number): number {
  const { num, den } = parseQuantityExact(q);
  return ceilDiv(num, den);
}

/** a − b − c … exactly, for allocatable − allocated − allocating. */
export function subtractQuantities(a: QuantityRational, ...rest: QuantityRational[]): QuantityRational {
  let { num, den } = a;
  for (const r of rest) {
    num = num * r.den - r.num * den;
    den = den * r.den;
  }
  return { num, den };
}

/** Whole base units rounded up of an exact quantity (Value()). */
export function rationalValue(q: QuantityRational): number {
  return ceilDiv(q.num, q.den);
}

/** Milli-units rounded up of an exact quantity (MilliValue()). */
export function rationalMilliValue(q: QuantityRational): number {
  return ceilDiv(q.num * 1000n, q.den);
}
