// SAXPY: out = a*x + y, one element per work-item (global size rounded up to the
// work-group size, so the tail is guarded). Not contracted into an FMA, so the result
// is rounded exactly like numpy's (a*x, then + y).
#pragma OPENCL FP_CONTRACT OFF

__kernel void saxpy(const float a,
                    __global const float *restrict x,
                    __global const float *restrict y,
                    __global float *restrict out,
                    const uint n)
{
    const uint i = get_global_id(0);
    if (i < n) out[i] = a * x[i] + y[i];
}
