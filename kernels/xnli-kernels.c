// Kernels the tfjs wasm backend lacks or runs slowly, compiled to WebAssembly SIMD (scripts/build-kernels.sh).
// They work in place on the tfjs backend's own memory (imported, no copies): every pointer is an offset in it.
// No static data and no stack: nothing of tfjs's heap is touched beyond the buffers the caller passes.
// Plain float32 arithmetic in the order written (no FMA, no reassociation: -ffp-contract=off, no fast-math).
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// C[batch][m][n] = op(A)[m][k] · op(B)[k][n] for each batch. A is [m][k] (or [k][m] when trans_a), B is [k][n]
// (or [n][k] when trans_b: it is packed into `scratch` as [k][n] first). stride_a / stride_b: elements between
// batches (0 broadcasts one matrix to every batch). Each output sums its k products in order p = 0 .. k-1.
static void pack_transposed(const float *b, float *out, int k, int n) {
  for (int p = 0; p < k; p++)
    for (int j = 0; j < n; j++) out[p * n + j] = b[j * k + p];
}

EXPORT(batch_matmul)
void batch_matmul(const float *a, const float *b, float *c, float *scratch, int batch, int m, int k, int n,
                  int trans_a, int trans_b, int stride_a, int stride_b) {
  // Element (i, p) of op(A): row step and column step.
  const int a_row = trans_a ? 1 : k, a_col = trans_a ? m : 1;
  for (int s = 0; s < batch; s++) {
    const float *as = a + s * stride_a;
    const float *bs = b + s * stride_b;
    if (trans_b) {
      if (s == 0 || stride_b != 0) pack_transposed(bs, scratch, k, n);
      bs = scratch;
    }
    float *cs = c + s * m * n;
    int i = 0;
    for (; i + 4 <= m; i += 4) {
      const float *a0 = as + i * a_row, *a1 = a0 + a_row, *a2 = a1 + a_row, *a3 = a2 + a_row;
      int j = 0;
      for (; j + 8 <= n; j += 8) {
        v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        const float *bp = bs + j;
        for (int p = 0; p < k; p++, bp += n) {
          const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
          const int ap = p * a_col;
          v128_t x = wasm_f32x4_splat(a0[ap]);
          c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x, b0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x, b1));
          x = wasm_f32x4_splat(a1[ap]);
          c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x, b0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x, b1));
          x = wasm_f32x4_splat(a2[ap]);
          c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x, b0)); c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x, b1));
          x = wasm_f32x4_splat(a3[ap]);
          c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x, b0)); c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x, b1));
        }
        float *cp = cs + i * n + j;
        wasm_v128_store(cp, c00); wasm_v128_store(cp + 4, c01); cp += n;
        wasm_v128_store(cp, c10); wasm_v128_store(cp + 4, c11); cp += n;
        wasm_v128_store(cp, c20); wasm_v128_store(cp + 4, c21); cp += n;
        wasm_v128_store(cp, c30); wasm_v128_store(cp + 4, c31);
      }
      for (; j < n; j++) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int p = 0; p < k; p++) {
          const float bv = bs[p * n + j];
          const int ap = p * a_col;
          s0 += a0[ap] * bv; s1 += a1[ap] * bv; s2 += a2[ap] * bv; s3 += a3[ap] * bv;
        }
        cs[i * n + j] = s0; cs[(i + 1) * n + j] = s1; cs[(i + 2) * n + j] = s2; cs[(i + 3) * n + j] = s3;
      }
    }
    for (; i < m; i++) {
      const float *ai = as + i * a_row;
      int j = 0;
      for (; j + 4 <= n; j += 4) {
        v128_t acc = wasm_f32x4_splat(0);
        for (int p = 0; p < k; p++) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(ai[p * a_col]), wasm_v128_load(bs + p * n + j)));
        wasm_v128_store(cs + i * n + j, acc);
      }
      for (; j < n; j++) {
        float sum = 0;
        for (int p = 0; p < k; p++) sum += ai[p * a_col] * bs[p * n + j];
        cs[i * n + j] = sum;
      }
    }
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
//   p' = decays ? p·decay : p;  m' = m·b1 + g·omb1;  v' = v·b2 + (g·g)·omb2
//   out = p' − ((m' / ((√v' / bias2) + eps)) · step_size)
EXPORT(adamw)
void adamw(float *p_out, float *m_out, float *v_out, const float *p, const float *g, const float *m, const float *v, int n,
           int decays, float decay, float b1, float omb1, float b2, float omb2, float step_size, float bias2, float eps) {
  const v128_t vdecay = wasm_f32x4_splat(decay), vb1 = wasm_f32x4_splat(b1), vomb1 = wasm_f32x4_splat(omb1);
  const v128_t vb2 = wasm_f32x4_splat(b2), vomb2 = wasm_f32x4_splat(omb2), vstep = wasm_f32x4_splat(step_size);
  const v128_t vbias2 = wasm_f32x4_splat(bias2), veps = wasm_f32x4_splat(eps);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
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
    const float gi = g[i];
    const float pi = decays ? p[i] * decay : p[i];
    const float mi = m[i] * b1 + gi * omb1;
    const float vi = v[i] * b2 + (gi * gi) * omb2;
    const float denom = __builtin_sqrtf(vi) / bias2 + eps;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = pi - (mi / denom) * step_size;
  }
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
