// C = A @ B for square row-major float32 matrices of side n (any n).
//
// matmul_tiled: each 16x16 work-group computes a 64x64 tile of C, each work-item a 4x4
// block of it (rows ty + 16*i, columns tx + 16*j, so neighbouring work-items touch
// neighbouring addresses). A and B are staged through local memory in 64x16 / 16x64
// slices; slices that run past the edge of the matrix are padded with zeros, so n need
// not be a multiple of anything.
//
// matmul_rows: for CPU devices, whose work-items run one after another: each work-item
// computes an 8x16 block of C in eight float16 accumulators, streaming a 16-float slice
// of each row of B (one vector load feeds 8 vector FMAs; 4 rows ran at half the speed
// at n = 1024 on PoCL); the ragged right edge goes one column at a time.
//
// matmul_simple: one element of C per work-item, no local memory; the fallback for a
// device that cannot run 256 work-items per group.

#define TS 64          // tile side (rows and columns of C per work-group)
#define TK 16          // depth of one staged slice
#define WG 16          // work-group side
#define RT (TS / WG)   // results per work-item along each side (4)

__kernel __attribute__((reqd_work_group_size(WG, WG, 1)))
void matmul_tiled(__global const float *restrict A,
                  __global const float *restrict B,
                  __global float *restrict C,
                  const uint n)
{
    __local float As[TK][TS + 1];  // As[k][r] = A[row0 + r][k0 + k]; +1 avoids bank conflicts
    __local float Bs[TK][TS];      // Bs[k][c] = B[k0 + k][col0 + c]

    const uint tx = get_local_id(0);
    const uint ty = get_local_id(1);
    const uint row0 = get_group_id(1) * TS;
    const uint col0 = get_group_id(0) * TS;
    const uint flat = ty * WG + tx;

    float acc[RT][RT];
    for (uint i = 0; i < RT; ++i)
        for (uint j = 0; j < RT; ++j) acc[i][j] = 0.0f;

    for (uint k0 = 0; k0 < n; k0 += TK) {
        // TS*TK = 1024 elements of each slice, 256 work-items: 4 loads each
        for (uint l = 0; l < (TS * TK) / (WG * WG); ++l) {
            const uint f = flat + l * (WG * WG);
            const uint ar = f / TK, ac = f % TK;   // 16 consecutive floats of a row of A
            const uint gar = row0 + ar, gac = k0 + ac;
            As[ac][ar] = (gar < n && gac < n) ? A[gar * n + gac] : 0.0f;
            const uint br = f / TS, bc = f % TS;   // 64 consecutive floats of a row of B
            const uint gbr = k0 + br, gbc = col0 + bc;
            Bs[br][bc] = (gbr < n && gbc < n) ? B[gbr * n + gbc] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint k = 0; k < TK; ++k) {
            float a[RT], b[RT];
            for (uint i = 0; i < RT; ++i) a[i] = As[k][ty + i * WG];
            for (uint j = 0; j < RT; ++j) b[j] = Bs[k][tx + j * WG];
            for (uint i = 0; i < RT; ++i)
                for (uint j = 0; j < RT; ++j) acc[i][j] = mad(a[i], b[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (uint i = 0; i < RT; ++i) {
        const uint row = row0 + ty + i * WG;
        if (row >= n) break;
        for (uint j = 0; j < RT; ++j) {
            const uint col = col0 + tx + j * WG;
            if (col < n) C[row * n + col] = acc[i][j];
        }
    }
}

__kernel void matmul_simple(__global const float *restrict A,
                            __global const float *restrict B,
                            __global float *restrict C,
                            const uint n)
{
    const uint col = get_global_id(0);
    const uint row = get_global_id(1);
    if (row >= n || col >= n) return;
    float acc = 0.0f;
    for (uint k = 0; k < n; ++k) acc = mad(A[row * n + k], B[k * n + col], acc);
    C[row * n + col] = acc;
}

#define CR 8    // matmul_rows: rows of C per work-item
#define CW 16   // matmul_rows: columns of C per work-item (one float16)

__kernel void matmul_rows(__global const float *restrict A,
                          __global const float *restrict B,
                          __global float *restrict C,
                          const uint n)
{
    const uint j0 = get_global_id(0) * CW;
    const uint i0 = get_global_id(1) * CR;
    if (i0 >= n || j0 >= n) return;
    // rows past the bottom edge re-read the last row and are not stored
    __global const float *a0 = A + (size_t)i0 * n;
    __global const float *a1 = A + (size_t)min(i0 + 1, n - 1) * n;
    __global const float *a2 = A + (size_t)min(i0 + 2, n - 1) * n;
    __global const float *a3 = A + (size_t)min(i0 + 3, n - 1) * n;
    __global const float *a4 = A + (size_t)min(i0 + 4, n - 1) * n;
    __global const float *a5 = A + (size_t)min(i0 + 5, n - 1) * n;
    __global const float *a6 = A + (size_t)min(i0 + 6, n - 1) * n;
    __global const float *a7 = A + (size_t)min(i0 + 7, n - 1) * n;
    const uint rows = min((uint)CR, n - i0);
    __global float *out = C + (size_t)i0 * n + j0;
    if (j0 + CW <= n) {
        float16 c0 = (float16)(0.0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (uint k = 0; k < n; ++k) {
            const float16 b = vload16(0, B + (size_t)k * n + j0);
            c0 = mad((float16)(a0[k]), b, c0);
            c1 = mad((float16)(a1[k]), b, c1);
            c2 = mad((float16)(a2[k]), b, c2);
            c3 = mad((float16)(a3[k]), b, c3);
            c4 = mad((float16)(a4[k]), b, c4);
            c5 = mad((float16)(a5[k]), b, c5);
            c6 = mad((float16)(a6[k]), b, c6);
            c7 = mad((float16)(a7[k]), b, c7);
        }
        vstore16(c0, 0, out);
        if (rows > 1) vstore16(c1, 0, out + n);
        if (rows > 2) vstore16(c2, 0, out + 2 * (size_t)n);
        if (rows > 3) vstore16(c3, 0, out + 3 * (size_t)n);
        if (rows > 4) vstore16(c4, 0, out + 4 * (size_t)n);
        if (rows > 5) vstore16(c5, 0, out + 5 * (size_t)n);
        if (rows > 6) vstore16(c6, 0, out + 6 * (size_t)n);
        if (rows > 7) vstore16(c7, 0, out + 7 * (size_t)n);
    } else {
        // the ragged right edge: 8 rows x 1 column at a time
        for (uint j = 0; j < n - j0; ++j) {
            float8 s = (float8)(0.0f);
            for (uint k = 0; k < n; ++k) {
                const float8 a = (float8)(a0[k], a1[k], a2[k], a3[k], a4[k], a5[k], a6[k], a7[k]);
                s = mad(a, (float8)(B[(size_t)k * n + j0 + j]), s);
            }
            const float r[8] = {s.s0, s.s1, s.s2, s.s3, s.s4, s.s5, s.s6, s.s7};
            for (uint i = 0; i < rows; ++i) out[(size_t)i * n + j] = r[i];
        }
    }
}
