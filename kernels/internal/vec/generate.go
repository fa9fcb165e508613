package vec

//go:generate go run -C ../../_gen . -unit vec -out ../internal/vec/vec_amd64.s -stubs ../internal/vec/vec_amd64.go -pkg vec
