// Calibration kernels (see kernels/opencl/calibration.py).

// launch latency: a kernel that does nothing
__kernel void empty(__global float *unused)
{
}

// device memory bandwidth: dst = src, 16 bytes per work-item
__kernel void copy4(__global const float4 *restrict src,
                    __global float4 *restrict dst,
                    const uint n4)
{
    const uint i = get_global_id(0);
    if (i < n4) dst[i] = src[i];
}

// peak fp32: 16 independent multiply-add chains per work-item, `iters` rounds each
// (2 * 16 * WIDTH * iters FLOP per work-item); the sum is stored so nothing is
// optimised away. REAL is float, or floatWIDTH (-DWIDTH=<n> -DREAL=float<n>, the
// device's preferred vector width: a CPU runs each work-item's loop on its own, so the
// SIMD lanes must come from the vector type).
#ifndef REAL
#define REAL float
#endif
#define STEP(v) v = mad(v, a, b)
__kernel void fma_chains(__global REAL *restrict out,
                         const float a_,
                         const float b_,
                         const uint iters)
{
    const REAL a = (REAL)(a_), b = (REAL)(b_);
    const REAL s = (REAL)((float)get_global_id(0) * 1.0e-7f);
    REAL x0 = s, x1 = s + 0.01f, x2 = s + 0.02f, x3 = s + 0.03f;
    REAL x4 = s + 0.04f, x5 = s + 0.05f, x6 = s + 0.06f, x7 = s + 0.07f;
    REAL x8 = s + 0.08f, x9 = s + 0.09f, x10 = s + 0.10f, x11 = s + 0.11f;
    REAL x12 = s + 0.12f, x13 = s + 0.13f, x14 = s + 0.14f, x15 = s + 0.15f;
    for (uint i = 0; i < iters; ++i) {
        STEP(x0); STEP(x1); STEP(x2); STEP(x3);
        STEP(x4); STEP(x5); STEP(x6); STEP(x7);
        STEP(x8); STEP(x9); STEP(x10); STEP(x11);
        STEP(x12); STEP(x13); STEP(x14); STEP(x15);
    }
    out[get_global_id(0)] = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7))
                          + ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
}
