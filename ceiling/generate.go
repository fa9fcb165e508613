package ceiling

//go:generate go run -C ../kernels/_gen . -unit ceiling -out ../../ceiling/kernels_amd64.s -stubs ../../ceiling/kernels_amd64.go -pkg ceiling
