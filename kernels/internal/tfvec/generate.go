package tfvec

//go:generate go run -C ../../_gen . -unit tfvec -out ../internal/tfvec/tfvec_amd64.s -stubs ../internal/tfvec/tfvec_amd64.go -pkg tfvec
