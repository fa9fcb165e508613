// Package hugepage asks the operating system to back large buffers with
// transparent huge pages before they are first touched.
package hugepage

// Size is the huge page size Advise aligns to: 2 MiB, x86-64's and
// arm64's usual transparent huge page.
const Size = 2 << 20
