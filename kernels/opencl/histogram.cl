// Histogram of float values into 256 equal bins over [0, 1], like
// np.histogram(x, bins=256, range=(0, 1)): values outside [0, 1] and NaN are not counted,
// 1.0 falls in the last bin; bin = (uint)(x * 256) is exact (the edges k/256 are).
//
// hist_zero clears the global counts; hist_local gives each work-group a histogram in
// local memory (atomic_inc per value), then adds its non-zero bins into the global
// counts with atomic_add. Like sum.cl, a work-item walks x grid-strided (coalesced on a
// GPU), or with -DCHUNKED (CPU devices) one contiguous chunk.
#define BINS 256

__kernel void hist_zero(__global uint *counts)
{
    const uint b = get_global_id(0);
    if (b < BINS) counts[b] = 0;
}

#define COUNT(v)                                                              \
    do {                                                                      \
        const float v_ = (v);                                                 \
        if (v_ >= 0.0f && v_ <= 1.0f)                                         \
            atomic_inc(&hist[min((uint)(v_ * (float)BINS), (uint)(BINS - 1))]); \
    } while (0)

__kernel void hist_local(__global const float *restrict x,
                         const uint n,
                         __global uint *restrict counts)
{
    __local uint hist[BINS];
    const uint lid = get_local_id(0);
    const uint lsize = get_local_size(0);
    for (uint b = lid; b < BINS; b += lsize) hist[b] = 0;
    barrier(CLK_LOCAL_MEM_FENCE);

    const uint stride = get_global_size(0);
#ifdef CHUNKED
    const uint chunk = (n + stride - 1) / stride;
    const uint start = get_global_id(0) * chunk;
    const uint end = min(start + chunk, n);
    for (uint i = start; i < end; ++i) COUNT(x[i]);
#else
    for (uint i = get_global_id(0); i < n; i += stride) COUNT(x[i]);
#endif
    barrier(CLK_LOCAL_MEM_FENCE);

    for (uint b = lid; b < BINS; b += lsize) {
        const uint c = hist[b];
        if (c) atomic_add(&counts[b], c);
    }
}
