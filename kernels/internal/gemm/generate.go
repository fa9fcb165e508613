package gemm

//go:generate go run -C ../../_gen . -unit gemm -dir ../internal/gemm -out ../internal/gemm/micro_amd64.s -stubs ../internal/gemm/micro_amd64.go -pkg gemm
