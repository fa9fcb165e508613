package conv

//go:generate go run -C ../../_gen . -unit conv -out ../internal/conv/conv_amd64.s -stubs ../internal/conv/conv_amd64.go -pkg conv
