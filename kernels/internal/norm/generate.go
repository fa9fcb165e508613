package norm

//go:generate go run -C ../../_gen . -unit norm -out ../internal/norm/norm_amd64.s -stubs ../internal/norm/norm_amd64.go -pkg norm
