// One Jacobi step of the 2-D five-point stencil on an n x n row-major grid:
//   out[i][j] = c0*u[i][j] + c1*(((u[i-1][j] + u[i+1][j]) + u[i][j-1]) + u[i][j+1])
// on the interior; the boundary is copied. Dimension 0 runs along a row (neighbouring
// work-items read neighbouring floats), dimension 1 down the columns. The sums are
// evaluated in numpy's order and not contracted into FMAs, so results match numpy.
#pragma OPENCL FP_CONTRACT OFF

__kernel void stencil5(__global const float *restrict u,
                       __global float *restrict out,
                       const uint n,
                       const float c0,
                       const float c1)
{
    const uint j = get_global_id(0);
    const uint i = get_global_id(1);
    if (i >= n || j >= n) return;
    const size_t at = (size_t)i * n + j;
    if (i == 0 || j == 0 || i == n - 1 || j == n - 1) {
        out[at] = u[at];
        return;
    }
    const float around = ((u[at - n] + u[at + n]) + u[at - 1]) + u[at + 1];
    out[at] = c0 * u[at] + c1 * around;
}
