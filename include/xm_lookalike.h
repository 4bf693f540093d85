/*
 * xm_lookalike.h - look-alike vendor domains (analysis/intel/lookalike.c).
 *
 * Given a host name or registrable domain (eTLD+1, libpsl), decides
 * whether it imitates an allow-listed AI or security vendor:
 *   LOOKALIKE_NONE   - no resemblance, or it IS an allow-listed vendor
 *                      domain or a subdomain of one (api.openai.com).
 *   LOOKALIKE_TOKEN  - its registrable label carries a vendor's token but
 *                      the domain is not the vendor's (litellm.cloud vs
 *                      litellm.ai, checkmarx.zone vs checkmarx.com).
 *                      Tokens of 6+ characters match as substrings;
 *                      4-5 character tokens only as a whole '-'/digit
 *                      delimited word; shorter tokens are ignored.
 *   LOOKALIKE_EDIT   - its registrable label is within Damerau-
 *                      Levenshtein (optimal string alignment) distance 1
 *                      of a vendor label (distance 2 when the vendor
 *                      label has 8+ characters), e.g. aquasecurtiy vs
 *                      aquasecurity; labels under 5 characters are not
 *                      compared.
 * The vendors come from a list file (data/vendors.list, loaded with
 * lists_load_file): every domain entry's registrable domain is allowed;
 * its first label is the token.  An entry labelled "generic" (a common
 * word such as together.ai) is allowed but yields no token/edit checks.
 * An entry labelled "exempt" is a plain word, not a domain
 * ("philanthropic exempt"): labels containing it are not token matches
 * for the tokens inside it (anthropic).  At most 256 exempt words.
 *
 * Cache: verdicts are cached per name id (xm_flow.name_id from the names
 * module) in a direct-mapped table of cache_slots entries; a slot also
 * keeps a hash of the name, so a recycled id never returns a stale
 * verdict.  Eviction policy: a colliding insert overwrites the slot
 * (counted in stats.replaced).  name_id 0 bypasses the cache.
 *
 * Ownership: the checker copies what it needs from the vendors list
 * (the list may be freed afterwards); result strings point into the
 * checker and live until lookalike_free().
 */
#ifndef XM_LOOKALIKE_H
#define XM_LOOKALIKE_H

#include "xm_common.h"
#include "xm_lists.h"

#define LOOKALIKE_MAX_VENDORS 1024

enum lookalike_verdict { LOOKALIKE_NONE = 0, LOOKALIKE_TOKEN, LOOKALIKE_EDIT };

struct lookalike_result {
    enum lookalike_verdict verdict;
    const char *vendor;      /* imitated vendor domain ("litellm.ai"), or NULL */
    const char *token;       /* the vendor's token ("litellm"), or NULL */
    unsigned distance;       /* edit distance for LOOKALIKE_EDIT, else 0 */
};

struct lookalike_stats {
    uint64_t checks, hits, misses, replaced;
    uint64_t token, edit;    /* verdicts computed (cache misses) */
    uint32_t vendors;        /* vendor domains loaded */
};

struct lookalike;

/* Builds a checker from a vendors list.  NULL with err set on failure
 * (too many vendors, out of memory, PSL unavailable). */
struct lookalike *lookalike_new(const struct lists_list *vendors, uint32_t cache_slots,
                                uint64_t seed, char *err, size_t errlen);
void lookalike_free(struct lookalike *lk);

/* Classifies name (a host name or registrable domain, any case). */
enum lookalike_verdict lookalike_check(struct lookalike *lk, uint32_t name_id,
                                       const char *name, struct lookalike_result *out);

/* "none", "token", "edit" */
const char *lookalike_verdict_name(enum lookalike_verdict v);

/* Optimal string alignment distance of two strings of up to 63 bytes;
 * returns 64 when either is longer (exposed for tests). */
unsigned lookalike_distance(const char *a, size_t an, const char *b, size_t bn);

const struct lookalike_stats *lookalike_get_stats(const struct lookalike *lk);

#endif
