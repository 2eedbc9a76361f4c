// Row softmax, numerically stable: out[r][c] = exp(x[r][c] - max_r) / sum_c exp(x[r][c] - max_r).
// One work-group per row; the work-group size must be a power of two (any row length:
// each work-item strides over the row). Two reductions in local memory: the row's
// maximum, then the sum of the exponentials.
__kernel void softmax_rows(__global const float *restrict x,
                           __global float *restrict out,
                           const uint cols,
                           __local float *scratch)
{
    const uint lid = get_local_id(0);
    const uint lsize = get_local_size(0);
    const size_t base = (size_t)get_group_id(0) * cols;
    __global const float *row = x + base;
    __global float *orow = out + base;

    float m = -INFINITY;
    for (uint c = lid; c < cols; c += lsize) m = fmax(m, row[c]);
    scratch[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = lsize >> 1; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float row_max = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);

    float acc = 0.0f;
    for (uint c = lid; c < cols; c += lsize) acc += exp(row[c] - row_max);
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = lsize >> 1; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float inv = 1.0f / scratch[0];

    for (uint c = lid; c < cols; c += lsize) orow[c] = exp(row[c] - row_max) * inv;
}

// softmax_rows16: for CPU devices (-DCHUNKED builds): one work-item per row, walking it
// 16 floats at a time (a CPU runs a group's work-items one after another, so its SIMD
// lanes must come from the vector type). Needs cols to be a multiple of 16.
__kernel void softmax_rows16(__global const float *restrict x,
                             __global float *restrict out,
                             const uint rows,
                             const uint cols)
{
    if (get_global_id(0) >= rows) return;
    const size_t base = (size_t)get_global_id(0) * cols;
    __global const float *row = x + base;
    __global float *orow = out + base;
    const uint n16 = cols / 16;

    float16 m16 = (float16)(-INFINITY);
    for (uint c = 0; c < n16; ++c) m16 = fmax(m16, vload16(c, row));
    float8 m8 = fmax(m16.lo, m16.hi);
    float4 m4 = fmax(m8.lo, m8.hi);
    float2 m2 = fmax(m4.lo, m4.hi);
    const float row_max = fmax(m2.lo, m2.hi);

    float16 s16 = (float16)(0.0f);
    for (uint c = 0; c < n16; ++c) s16 += exp(vload16(c, row) - row_max);
    float8 s8 = s16.lo + s16.hi;
    float4 s4 = s8.lo + s8.hi;
    float2 s2 = s4.lo + s4.hi;
    const float inv = 1.0f / (s2.lo + s2.hi);

    for (uint c = 0; c < n16; ++c) vstore16(exp(vload16(c, row) - row_max) * inv, c, orow);
}
