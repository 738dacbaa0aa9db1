// Docker's image reference grammar, as distribution/reference (reference/regexp.go) defines it:
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [domain "/"] path-component ["/" path-component]*
//   domain     := (domain-name | "[" IPv6 "]") [":" port]
//   path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := [._] | "__" | "-"+
//   tag        := [\w][\w.-]{0,127}
//   digest     := algorithm ":" hex (at least 32 hex digits)
// A name outside it never reaches Docker: its API cleans paths such as `a/../b` or `a//b` with a
// redirect, and an image name is part of the request path.

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);

/** Docker's limit on the name part (domain and path, without tag or digest). */
const NAME_MAX = 255;
/** Name, tag and a long digest (sha512) fit well within this; longer input is not even matched. */
const REFERENCE_MAX = 512;

/** What an image reference looks like, for messages. */
export const IMAGE_REF_FORM =
  '[REGISTRY[:PORT]/]PATH[:TAG][@DIGEST] with a lowercase PATH, such as "debian:bookworm" or "ghcr.io/org/image:1.2"';

/** Why a path (the name without its domain) does not fit the grammar, when a specific reason is easy to tell. */
function pathProblem(path: string): string | null {
  const components = path.split('/');
  if (components.some((c) => c === '')) return 'has an empty path component ("//", or "/" at either end)';
  if (components.some((c) => c === '.' || c === '..')) return '"." and ".." are not path components of an image';
  if (/[A-Z]/.test(path)) return 'the repository path must be lowercase';
  return null;
}

/**
 * Why `ref` is not a Docker image reference, or null when it is one. The reason comes first (empty
 * path component, `..`, uppercase, too long…), then the form a reference takes.
 */
export function imageRefProblem(ref: string): string | null {
  if (ref.length > REFERENCE_MAX) return `is ${ref.length} characters long, more than ${REFERENCE_MAX}`;
  const match = REFERENCE.exec(ref);
  if (match) {
    const name = match[1] ?? '';
    return name.length > NAME_MAX ? `has a name of ${name.length} characters; Docker allows ${NAME_MAX}` : null;
  }
  if (ref === '') return 'is empty';
  if (/[\s\p{Cc}]/u.test(ref)) return 'contains a space or control character';
  // The part before any tag or digest: a ":" after the last "/" starts the tag.
  const [beforeDigest = '', digest] = ref.split('@', 2);
  const slash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.indexOf(':', slash + 1);
  const name = colon >= 0 ? beforeDigest.slice(0, colon) : beforeDigest;
  const first = name.split('/')[0] ?? '';
  // As Docker tells a registry from a path: a first component with ".", ":" or uppercase, or localhost.
  const hasDomain = name.includes('/') && (/[.:]/.test(first) || first === 'localhost' || /[A-Z]/.test(first));
  const problem = pathProblem(hasDomain ? name.slice(first.length + 1) : name);
  if (problem) return problem;
  if (colon >= 0 && !new RegExp(`^${TAG}$`).test(beforeDigest.slice(colon + 1))) {
    return 'has an invalid tag (1–128 letters, digits, "_", "." or "-", not starting with "." or "-")';
  }
  if (digest !== undefined && !new RegExp(`^${DIGEST}$`).test(digest)) {
    return 'has an invalid digest (ALGORITHM:HEX, such as "sha256:" and 64 hex digits)';
  }
  return 'does not follow the grammar';
}
