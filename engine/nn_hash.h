/* The word-wise FNV-1a step every content checksum of nnlab takes (a
 * dataset's, an index list's, a model's parameters'): FNV-1a 64 over 64-bit
 * words, with the high half of the state folded into the low half after each
 * multiply. Without the fold a change to a word's top bit passes every later
 * multiply unchanged (2^63 times an odd number is 2^63), so two such changes
 * cancel: two IDX files whose pixels 7 and 15 differed by 128 had one
 * checksum, and one cache entry. */
#ifndef NN_HASH_H
#define NN_HASH_H

#include <stdint.h>

#define NN_FNV_OFFSET 0xcbf29ce484222325ull
#define NN_FNV_PRIME 0x100000001b3ull

/* The state after one more word. */
static inline uint64_t nn_hash_word(uint64_t h, uint64_t word)
{
    h = (h ^ word) * NN_FNV_PRIME;
    return h ^ (h >> 32);
}

#endif
