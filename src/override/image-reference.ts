// Docker image references as Karmada's imageparser reads them (pkg/util/imageparser/parser.go):
// distribution/reference validates the whole string, then the name is split into a registry host
// and a repository with the docker rule "the first segment is a host if it contains '.' or ':' or
// is 'localhost'". Karmada keeps the components as plain strings, so an override may produce text
// that is no longer a valid reference (e.g. `host/:tag` after removing the repository).

/** The components Karmada's imageparser.Components holds. At most one of tag/digest is set. */
export interface ImageReference {
  /** Registry host with optional port ('' if none), e.g. "registry.k8s.io" or "localhost:5000". */
  host: string;
  /** Everything after the host, e.g. "karmada/karmada-scheduler". */
  repository: string;
  tag: string;
  digest: string;
}

// The grammar of distribution/reference (reference/regexp.go).
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_TAG = new RegExp(`^${TAG}$`);
const ANCHORED_DIGEST = new RegExp(`^${DIGEST}$`);
/** distribution/reference NameTotalLengthMax. */
const NAME_TOTAL_LENGTH_MAX = 255;
/** Hash algorithms Karmada links in (crypto/sha256, crypto/sha512) and their hex lengths. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Splits a repository name into registry host and the rest (imageparser.SplitHostname). */
export function splitHostname(name: string): { host: string; repository: string } {
  const i = name.indexOf('/');
  if (i === -1) return { host: '', repository: name };
  const first = name.slice(0, i);
  if (!/[.:]/.test(first) && first !== 'localhost') return { host: '', repository: name };
  return { host: first, repository: name.slice(i + 1) };
}

/** Why a digest is not acceptable to go-digest's Parse, or null. */
function digestProblem(digest: string): string | null {
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  const encoded = digest.slice(i + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) return `unsupported digest algorithm "${algorithm}"`;
  if (encoded.length !== length) return `invalid ${algorithm} digest length ${encoded.length} (want ${length})`;
  if (!/^[a-f0-9]+$/.test(encoded)) return `invalid ${algorithm} digest (hex must be lower case)`;
  return null;
}

/** Parses an image reference (imageparser.Parse); a tag wins over a digest when both are present. */
export function parseImageReference(image: string): { ok: true; ref: ImageReference } | { ok: false; reason: string } {
  const m = REFERENCE.exec(image);
  if (!m) {
    if (image === '') return { ok: false, reason: 'repository name must have at least one component' };
    if (REFERENCE.test(image.toLowerCase())) return { ok: false, reason: 'repository name must be lowercase' };
    return { ok: false, reason: 'invalid reference format' };
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX)
    return { ok: false, reason: `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters` };
  const tag = m[2] ?? '';
  const digest = m[3] ?? '';
  if (digest) {
    const problem = digestProblem(digest);
    if (problem) return { ok: false, reason: problem };
  }
  const { host, repository } = splitHostname(name);
  // reference.Tagged is checked before reference.Digested, so `name:tag@digest` keeps the tag only.
  return { ok: true, ref: { host, repository, tag, digest: tag ? '' : digest } };
}

/** Re-serialises the components as Karmada does: host/repository[:tag|@digest]. */
export function formatImageReference(ref: ImageReference): string {
  const full = ref.host === '' ? ref.repository : `${ref.host}/${ref.repository}`;
  if (ref.tag) return `${full}:${ref.tag}`;
  if (ref.digest) return `${full}@${ref.digest}`;
  return full;
}

/** The tag if there is one, else the digest (Components.TagOrDigest). */
export function tagOrDigest(ref: ImageReference): string {
  return ref.tag || ref.digest;
}

/**
 * Sets the tag or the digest depending on what `value` looks like (Components.SetTagOrDigest).
 * A value that is neither a valid tag nor a valid digest leaves the reference unchanged, which is
 * why e.g. appending a digest to an existing tag silently does nothing.
 */
export function withTagOrDigest(ref: ImageReference, value: string): ImageReference {
  if (ANCHORED_TAG.test(value)) return { ...ref, tag: value, digest: '' };
  if (ANCHORED_DIGEST.test(value)) return { ...ref, tag: '', digest: value };
  return ref;
}

/** Drops the tag, or the digest when there is no tag (Components.RemoveTagOrDigest). */
export function withoutTagOrDigest(ref: ImageReference): ImageReference {
  if (ref.tag) return { ...ref, tag: '' };
  return { ...ref, digest: '' };
}
