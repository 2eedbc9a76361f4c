// Sum, stage 1 of 2: each work-group reduces its share of x to one partial sum (a
// register accumulator per work-item, then a tree in local memory); the host adds the
// partial sums in float64. The work-group size must be a power of two.
//
// How a work-item walks x:
//   default  grid-stride: neighbouring work-items read neighbouring elements (coalesced
//            loads on a GPU);
//   CHUNKED  (-DCHUNKED, for CPU devices) one contiguous chunk per work-item, read 8
//            floats at a time into 8 accumulators, which a CPU's caches and SIMD units
//            like (a CPU runs the work-items of a group one after another).
__kernel void sum_partial(__global const float *restrict x,
                          const uint n,
                          __global float *restrict partial,
                          __local float *scratch)
{
    const uint lid = get_local_id(0);
    const uint lsize = get_local_size(0);
    const uint stride = get_global_size(0);
    float acc = 0.0f;
#ifdef CHUNKED
    const uint chunk = (((n + stride - 1) / stride) + 7u) & ~7u;
    const uint start = get_global_id(0) * chunk;
    const uint end = min(start + chunk, n);
    uint i = start;
    float8 acc8 = (float8)(0.0f);
    for (; i + 8 <= end; i += 8) acc8 += vload8(0, x + i);
    for (; i < end; ++i) acc += x[i];
    const float4 acc4 = acc8.lo + acc8.hi;
    acc += (acc4.x + acc4.y) + (acc4.z + acc4.w);
#else
    for (uint i = get_global_id(0); i < n; i += stride) acc += x[i];
#endif
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = lsize >> 1; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) partial[get_group_id(0)] = scratch[0];
}
