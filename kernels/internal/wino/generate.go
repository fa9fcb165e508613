package wino

//go:generate go run -C ../../_gen . -unit wino -out ../internal/wino/wino_amd64.s -stubs ../internal/wino/wino_amd64.go -pkg wino
