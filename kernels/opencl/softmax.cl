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
