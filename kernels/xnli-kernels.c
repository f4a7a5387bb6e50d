// Kernels the tfjs wasm backend lacks or runs slowly, compiled to WebAssembly SIMD (scripts/build-kernels.sh).
// They work in place on the tfjs backend's own memory (imported, no copies): every pointer is an offset in it.
// No static data and no stack: nothing of tfjs's heap is touched beyond the buffers the caller passes.
// Plain float32 arithmetic in the order written (no FMA, no reassociation: -ffp-contract=off, no fast-math), except
// in the relaxed-SIMD build's matrix products (below).
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// Matrix products: C[batch][m][n] = op(A)[m][k] · op(B)[k][n], the way BLIS and XNNPACK do them. Blocks of
// op(B) (KC rows) and of op(A) (MC rows × KC) are packed into panels the micro-kernel reads in order, so a
// transposed side costs only its packing; the micro-kernel keeps a 4×8 tile of C in eight registers over KC steps.
// 4×8 measured fastest of 1×16 … 8×8 under V8 (larger tiles spill: x64 has 16 vector registers, V8 keeps some).
// With RELAXED (the relaxed-SIMD build, Chrome 114+) each step is one fused multiply-add where the CPU has one
// (relaxed_madd): 1.3-1.6x faster, and rounded once instead of twice. Sums run in order over each KC block; the
// blocks' partial sums are added to C in order.
#define MR 4
#define NR 8
#define KC 256
#define MC 128
#ifdef RELAXED
#define MADD(acc, a, b) (v128_t) __builtin_wasm_relaxed_madd_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(acc))
#else
#define MADD(acc, a, b) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

// op(B) rows [0, kc) × columns [0, n) into NR-wide panels, each [kc][NR]; element (p, j) is b[p·rs + j·cs].
static void pack_b(const float *b, int rs, int cs, int kc, int n, float *out) {
  for (int j = 0; j < n; j += NR) {
    const int w = n - j < NR ? n - j : NR;
    for (int p = 0; p < kc; p++, out += NR) {
      const float *src = b + p * rs + j * cs;
      if (w == NR && cs == 1) {
        wasm_v128_store(out, wasm_v128_load(src));
        wasm_v128_store(out + 4, wasm_v128_load(src + 4));
      } else {
        for (int t = 0; t < NR; t++) out[t] = t < w ? src[t * cs] : 0;
      }
    }
  }
}

// op(A) rows [0, mc) × columns [0, kc) into MR-tall panels, each [kc][MR]; element (i, p) is a[i·rs + p·cs].
static void pack_a(const float *a, int rs, int cs, int mc, int kc, float *out) {
  for (int i = 0; i < mc; i += MR) {
    const int h = mc - i < MR ? mc - i : MR;
    for (int p = 0; p < kc; p++, out += MR) {
      const float *src = a + i * rs + p * cs;
      for (int t = 0; t < MR; t++) out[t] = t < h ? src[t * rs] : 0;
    }
  }
}

// The h×w corner (h ≤ MR, w ≤ NR) of C at c (row stride ldc) = (or += when accumulate) one A panel · one B panel.
static void micro_tile(const float *ap, const float *bp, int kc, float *c, int ldc, int h, int w, int accumulate) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int p = 0; p < kc; p++, ap += MR, bp += NR) {
    const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t x = wasm_v128_load32_splat(ap);
    c00 = MADD(c00, x, b0); c01 = MADD(c01, x, b1);
    x = wasm_v128_load32_splat(ap + 1);
    c10 = MADD(c10, x, b0); c11 = MADD(c11, x, b1);
    x = wasm_v128_load32_splat(ap + 2);
    c20 = MADD(c20, x, b0); c21 = MADD(c21, x, b1);
    x = wasm_v128_load32_splat(ap + 3);
    c30 = MADD(c30, x, b0); c31 = MADD(c31, x, b1);
  }
  const v128_t tile[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; i++) {
    float *row = c + i * ldc;
    if (i >= h) break;
    if (w == NR) {
      wasm_v128_store(row, accumulate ? wasm_f32x4_add(wasm_v128_load(row), tile[i][0]) : tile[i][0]);
      wasm_v128_store(row + 4, accumulate ? wasm_f32x4_add(wasm_v128_load(row + 4), tile[i][1]) : tile[i][1]);
      continue;
    }
#define LANE(v, l) if ((v) * 4 + (l) < w) { const float x = wasm_f32x4_extract_lane(tile[i][v], l); row[(v) * 4 + (l)] = accumulate ? row[(v) * 4 + (l)] + x : x; }
    LANE(0, 0) LANE(0, 1) LANE(0, 2) LANE(0, 3) LANE(1, 0) LANE(1, 1) LANE(1, 2) LANE(1, 3)
#undef LANE
  }
}

// Rows [row0, row1) × columns [col0, col1) of every batch's C (so that two threads can share a product: by rows,
// or by columns, each packing only its part of B). A is [m][k] (or [k][m] when trans_a), B is [k][n] (or [n][k]
// when trans_b); stride_a / stride_b: elements between batches (0 shares one matrix across the batch). scratch:
// gemm_scratch_floats(col1 - col0) floats.
EXPORT(gemm_scratch_floats)
int gemm_scratch_floats(int n) { return KC * ((n + NR - 1) / NR * NR) + MC * KC; }

EXPORT(batch_matmul)
void batch_matmul(const float *a, const float *b, float *c, float *scratch, int batch, int m, int k, int n,
                  int trans_a, int trans_b, int stride_a, int stride_b, int row0, int row1, int col0, int col1) {
  const int a_rs = trans_a ? 1 : k, a_cs = trans_a ? m : 1, b_rs = trans_b ? 1 : n, b_cs = trans_b ? k : 1;
  const int width = col1 - col0;
  float *b_pack = scratch, *a_pack = scratch + KC * ((width + NR - 1) / NR * NR);
  for (int s = 0; s < batch; s++) {
    const float *as = a + s * stride_a, *bs = b + s * stride_b + col0 * b_cs;
    float *cs = c + s * m * n + col0;
    for (int p0 = 0; p0 < k; p0 += KC) {
      const int kc = k - p0 < KC ? k - p0 : KC;
      pack_b(bs + p0 * b_rs, b_rs, b_cs, kc, width, b_pack);
      for (int i0 = row0; i0 < row1; i0 += MC) {
        const int mc = row1 - i0 < MC ? row1 - i0 : MC;
        pack_a(as + i0 * a_rs + p0 * a_cs, a_rs, a_cs, mc, kc, a_pack);
        for (int j = 0; j < width; j += NR)
          for (int i = 0; i < mc; i += MR)
            micro_tile(a_pack + i * kc, b_pack + j * kc, kc, cs + (i0 + i) * n + j, n, mc - i < MR ? mc - i : MR, width - j < NR ? width - j : NR, p0 > 0);
      }
    }
    if (k == 0)
      for (int i = row0; i < row1; i++)
        for (int j = 0; j < width; j++) cs[i * n + j] = 0;
  }
}

// out[j] = sum over i of x[i][j] (rows × cols, row-major), each column summed in row order from 0: the order of
// tfjs's own Sum, which transposes the reduced axis last and then adds sequentially.
EXPORT(column_sums)
void column_sums(const float *x, float *out, int rows, int cols) {
  int j = 0;
  for (; j + 16 <= cols; j += 16) {
    v128_t s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, s3 = s0;
    const float *xp = x + j;
    for (int i = 0; i < rows; i++, xp += cols) {
      s0 = wasm_f32x4_add(s0, wasm_v128_load(xp)); s1 = wasm_f32x4_add(s1, wasm_v128_load(xp + 4));
      s2 = wasm_f32x4_add(s2, wasm_v128_load(xp + 8)); s3 = wasm_f32x4_add(s3, wasm_v128_load(xp + 12));
    }
    wasm_v128_store(out + j, s0); wasm_v128_store(out + j + 4, s1); wasm_v128_store(out + j + 8, s2); wasm_v128_store(out + j + 12, s3);
  }
  for (; j < cols; j++) {
    float sum = 0;
    for (int i = 0; i < rows; i++) sum += x[i * cols + j];
    out[j] = sum;
  }
}

// One AdamW step for n elements, exactly the float32 operations of src/train/adamw.ts in the same order:
//   g = scale ? g·scale[0] : g (gradient clipping's factor);  p' = decays ? p·decay : p
//   m' = m·b1 + g·omb1;  v' = v·b2 + (g·g)·omb2;  out = p' − ((m' / ((√v' / bias2) + eps)) · step_size)
EXPORT(adamw)
void adamw(float *p_out, float *m_out, float *v_out, const float *p, const float *g, const float *m, const float *v, int n,
           const float *scale, int decays, float decay, float b1, float omb1, float b2, float omb2, float step_size, float bias2, float eps) {
  const float factor = scale ? scale[0] : 1.0f;
  const v128_t vfactor = wasm_f32x4_splat(factor);
  const v128_t vdecay = wasm_f32x4_splat(decay), vb1 = wasm_f32x4_splat(b1), vomb1 = wasm_f32x4_splat(omb1);
  const v128_t vb2 = wasm_f32x4_splat(b2), vomb2 = wasm_f32x4_splat(omb2), vstep = wasm_f32x4_splat(step_size);
  const v128_t vbias2 = wasm_f32x4_splat(bias2), veps = wasm_f32x4_splat(eps);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = scale ? wasm_f32x4_mul(wasm_v128_load(g + i), vfactor) : wasm_v128_load(g + i);
    v128_t pi = wasm_v128_load(p + i);
    if (decays) pi = wasm_f32x4_mul(pi, vdecay);
    const v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vomb1));
    const v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vomb2));
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), vbias2), veps);
    wasm_v128_store(m_out + i, mi);
    wasm_v128_store(v_out + i, vi);
    wasm_v128_store(p_out + i, wasm_f32x4_sub(pi, wasm_f32x4_mul(wasm_f32x4_div(mi, denom), vstep)));
  }
  for (; i < n; i++) {
    const float gi = scale ? g[i] * factor : g[i];
    const float pi = decays ? p[i] * decay : p[i];
    const float mi = m[i] * b1 + gi * omb1;
    const float vi = v[i] * b2 + (gi * gi) * omb2;
    const float denom = __builtin_sqrtf(vi) / bias2 + eps;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = pi - (mi / denom) * step_size;
  }
}

// out[0] = Σ x[i]², each square rounded to float32 and added in order: tf.sum(tf.square(x)) without the squares
// tensor (gradient clipping's norm, once per parameter per step).
EXPORT(sum_squares)
void sum_squares(const float *x, int n, float *out) {
  float sum = 0;
  for (int i = 0; i < n; i++) sum += x[i] * x[i];
  out[0] = sum;
}

// tf.dropout's multiplier, drawn as tfjs draws it but without a JavaScript loop per element: seedrandom's Alea
// generator (state s0, s1, s2, c from the seed string, set up in JavaScript) in the same double arithmetic, each
// draw rounded to float32 as tfjs's randomUniform stores it, then floor(u + keep) / keep in float32.
EXPORT(dropout_mask)
void dropout_mask(float *out, int n, float keep, double s0, double s1, double s2, double c) {
  for (int i = 0; i < n; i++) {
    const double t = 2091639.0 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    c = (double)(int)t;
    s2 = t - c;
    out[i] = __builtin_floorf((float)s2 + keep) / keep;
  }
}

// out[i][:] = table[ids[i]][:] (an embedding lookup). Returns 0, or 1 without writing when an id is out of range
// (the caller then lets tfjs's own kernel report it).
EXPORT(gather_rows)
int gather_rows(const float *table, const int *ids, float *out, int count, int rows, int width) {
  for (int i = 0; i < count; i++)
    if (ids[i] < 0 || ids[i] >= rows) return 1;
  for (int i = 0; i < count; i++) __builtin_memcpy(out + i * width, table + ids[i] * width, width * sizeof(float));
  return 0;
}

// out = zeros(rows, width); out[ids[i]][:] += updates[i][:] for i in order (an embedding gradient: repeated ids
// summed in the order tfjs's ScatterNd sums them). Returns 0, or 1 without writing when an id is out of range.
EXPORT(scatter_add_rows)
int scatter_add_rows(const int *ids, const float *updates, float *out, int count, int rows, int width) {
  for (int i = 0; i < count; i++)
    if (ids[i] < 0 || ids[i] >= rows) return 1;
  __builtin_memset(out, 0, (unsigned long)rows * width * sizeof(float));
  for (int i = 0; i < count; i++) {
    float *row = out + ids[i] * width;
    const float *update = updates + i * width;
    int j = 0;
    for (; j + 4 <= width; j += 4) wasm_v128_store(row + j, wasm_f32x4_add(wasm_v128_load(row + j), wasm_v128_load(update + j)));
    for (; j < width; j++) row[j] += update[j];
  }
  return 0;
}

// ---- LayerNorm and GELU, forward and backward, for rows of a [rows, cols] activation ----
// LayerNorm: mean and variance in float32 summed in order (as tf.moments), y = (x − mean)·rstd·gamma + beta with
// rstd = 1/√(var + eps); mean and rstd are kept per row for the backward pass.
EXPORT(layer_norm)
void layer_norm(const float *x, const float *gamma, const float *beta, float *y, float *mean_out, float *rstd_out,
                int rows, int cols, float eps) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float sum = 0;
    for (int j = 0; j < cols; j++) sum += xr[j];
    const float mean = sum / (float)cols;
    float squares = 0;
    for (int j = 0; j < cols; j++) squares += (xr[j] - mean) * (xr[j] - mean);
    const float rstd = 1.0f / __builtin_sqrtf(squares / (float)cols + eps);
    mean_out[r] = mean;
    rstd_out[r] = rstd;
    float *yr = y + r * cols;
    const v128_t vmean = wasm_f32x4_splat(mean), vrstd = wasm_f32x4_splat(rstd);
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      const v128_t normalised = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vmean), vrstd);
      wasm_v128_store(yr + j, wasm_f32x4_add(wasm_f32x4_mul(normalised, wasm_v128_load(gamma + j)), wasm_v128_load(beta + j)));
    }
    for (; j < cols; j++) yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
  }
}

// dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·gamma and x̂ = (x − mean)·rstd; dgamma = Σ_rows dy·x̂,
// dbeta = Σ_rows dy (rows in order).
EXPORT(layer_norm_backward)
void layer_norm_backward(const float *dy, const float *x, const float *gamma, const float *mean, const float *rstd,
                         float *dx, float *dgamma, float *dbeta, int rows, int cols) {
  __builtin_memset(dgamma, 0, cols * sizeof(float));
  __builtin_memset(dbeta, 0, cols * sizeof(float));
  for (int r = 0; r < rows; r++) {
    const float *dyr = dy + r * cols, *xr = x + r * cols;
    const float m = mean[r], s = rstd[r];
    float sum_g = 0, sum_gx = 0;
    for (int j = 0; j < cols; j++) {
      const float xhat = (xr[j] - m) * s, g = dyr[j] * gamma[j];
      sum_g += g;
      sum_gx += g * xhat;
      dgamma[j] += dyr[j] * xhat;
      dbeta[j] += dyr[j];
    }
    const float mean_g = sum_g / (float)cols, mean_gx = sum_gx / (float)cols;
    float *dxr = dx + r * cols;
    for (int j = 0; j < cols; j++) {
      const float xhat = (xr[j] - m) * s;
      dxr[j] = s * (dyr[j] * gamma[j] - mean_g - xhat * mean_gx);
    }
  }
}

// e^x for float32 lanes (Cephes expf: range reduction by ln 2, degree-6 polynomial; about 1 ulp).
static v128_t exp4(v128_t x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.3f)), wasm_f32x4_splat(88.3f));
  const v128_t n = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), wasm_f32x4_splat(0.5f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  const v128_t z = wasm_f32x4_mul(x, x);
  v128_t y = wasm_f32x4_splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), x), wasm_f32x4_splat(1.0f));
  const v128_t pow2n = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, pow2n);
}

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), the formula tfjs's Erf kernels use.
static v128_t erf4(v128_t x) {
  const v128_t sign = wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000));
  const v128_t v = wasm_f32x4_abs(x);
  const v128_t t = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(wasm_f32x4_splat(0.3275911f), v)));
  v128_t poly = wasm_f32x4_splat(1.061405429f);
  poly = wasm_f32x4_add(wasm_f32x4_mul(poly, t), wasm_f32x4_splat(-1.453152027f));
  poly = wasm_f32x4_add(wasm_f32x4_mul(poly, t), wasm_f32x4_splat(1.421413741f));
  poly = wasm_f32x4_add(wasm_f32x4_mul(poly, t), wasm_f32x4_splat(-0.284496736f));
  poly = wasm_f32x4_add(wasm_f32x4_mul(poly, t), wasm_f32x4_splat(0.254829592f));
  const v128_t e = exp4(wasm_f32x4_neg(wasm_f32x4_mul(v, v)));
  const v128_t magnitude = wasm_f32x4_sub(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(wasm_f32x4_mul(poly, t), e));
  return wasm_v128_or(magnitude, sign);
}

// The last 1-3 elements: lanes padded with zeros, only the valid ones written (no stack arrays: nothing may be
// written to memory but the caller's buffers).
static v128_t load_tail(const float *p, int count) {
  return wasm_f32x4_make(p[0], count > 1 ? p[1] : 0.0f, count > 2 ? p[2] : 0.0f, 0.0f);
}
static void store_tail(float *p, v128_t v, int count) {
  p[0] = wasm_f32x4_extract_lane(v, 0);
  if (count > 1) p[1] = wasm_f32x4_extract_lane(v, 1);
  if (count > 2) p[2] = wasm_f32x4_extract_lane(v, 2);
}

// GELU (exact form): y = x·½·(1 + erf(x/√2)).
static v128_t gelu4(v128_t x) {
  const v128_t cdf = wasm_f32x4_mul(wasm_f32x4_splat(0.5f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), erf4(wasm_f32x4_mul(x, wasm_f32x4_splat(0.70710678118654752f)))));
  return wasm_f32x4_mul(x, cdf);
}
EXPORT(gelu)
void gelu(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, gelu4(wasm_v128_load(x + i)));
  if (i < n) store_tail(y + i, gelu4(load_tail(x + i, n - i)), n - i);
}

// dx = dy·(½·(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π)).
static v128_t gelu_grad4(v128_t dy, v128_t x) {
  const v128_t cdf = wasm_f32x4_mul(wasm_f32x4_splat(0.5f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), erf4(wasm_f32x4_mul(x, wasm_f32x4_splat(0.70710678118654752f)))));
  const v128_t pdf = wasm_f32x4_mul(exp4(wasm_f32x4_mul(wasm_f32x4_mul(x, x), wasm_f32x4_splat(-0.5f))), wasm_f32x4_splat(0.39894228040143268f));
  return wasm_f32x4_mul(dy, wasm_f32x4_add(cdf, wasm_f32x4_mul(x, pdf)));
}
EXPORT(gelu_backward)
void gelu_backward(const float *dy, const float *x, float *dx, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dx + i, gelu_grad4(wasm_v128_load(dy + i), wasm_v128_load(x + i)));
  if (i < n) store_tail(dx + i, gelu_grad4(load_tail(dy + i, n - i), load_tail(x + i, n - i)), n - i);
}
