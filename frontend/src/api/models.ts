// The Go types as the UI uses them: the generated bindings (frontend/wailsjs/go/models.ts,
// `make bindings`) are the one description of what crosses the bridge; the UI's types
// are thin aliases of them, narrowed only where Go cannot say more (a fixed set of
// strings, a time that arrives as an RFC 3339 string).
import type { invalid } from '../../wailsjs/go/models';

/**
 * A generated class as the plain data the bridge delivers and the UI passes around:
 * its fields, nested ones too, without the class's methods.
 */
export type Plain<T> = T extends (infer E)[]
  ? Plain<E>[]
  : T extends object
    ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Plain<T[K]> }
    : T;

/** Plain<T> with the fields of N typed more narrowly. */
export type Narrowed<T, N> = Omit<Plain<T>, keyof N> & N;

/** One invalid field of a form (cloud/invalid), with a message that says what to fix. */
export type FieldError = Plain<invalid.FieldError>;

/**
 * What the bridge delivered, as the UI's plain type: Go encodes nil slices and maps as
 * null where the UI's types have absent fields, so a JSON round trip drops the nulls (and
 * turns generated classes into plain objects).
 */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null), (_k, v: unknown) => (v === null ? undefined : v));
}

/** The field errors of a result ([] when Go sent none, or null). */
export function fieldErrorsOf(list: unknown): FieldError[] {
  return (plain(list) as FieldError[] | undefined) ?? [];
}
