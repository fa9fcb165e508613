//go:build amd64 && !noasm

package conv

// The generated kernels, by ISA, vectors per row (nv) and tile height (mr).
// TestTablesComplete checks them against the generator's tile list (Tiles).

var fwdAVX2 = [5][]FwdFunc{
	1: {nil, convFwdAVX2_1x1, convFwdAVX2_2x1, convFwdAVX2_3x1, convFwdAVX2_4x1, convFwdAVX2_5x1, convFwdAVX2_6x1, convFwdAVX2_7x1, convFwdAVX2_8x1, convFwdAVX2_9x1, convFwdAVX2_10x1, convFwdAVX2_11x1, convFwdAVX2_12x1},
	2: {nil, convFwdAVX2_1x2, convFwdAVX2_2x2, convFwdAVX2_3x2, convFwdAVX2_4x2, convFwdAVX2_5x2, convFwdAVX2_6x2},
}

var fwdAVX512 = [5][]FwdFunc{
	1: {nil, convFwdAVX512_1x1, convFwdAVX512_2x1, convFwdAVX512_3x1, convFwdAVX512_4x1, convFwdAVX512_5x1, convFwdAVX512_6x1, convFwdAVX512_7x1, convFwdAVX512_8x1, convFwdAVX512_9x1, convFwdAVX512_10x1, convFwdAVX512_11x1, convFwdAVX512_12x1, convFwdAVX512_13x1, convFwdAVX512_14x1},
	2: {nil, convFwdAVX512_1x2, convFwdAVX512_2x2, convFwdAVX512_3x2, convFwdAVX512_4x2, convFwdAVX512_5x2, convFwdAVX512_6x2, convFwdAVX512_7x2, convFwdAVX512_8x2, convFwdAVX512_9x2, convFwdAVX512_10x2, convFwdAVX512_11x2, convFwdAVX512_12x2, convFwdAVX512_13x2, convFwdAVX512_14x2},
	3: {nil, convFwdAVX512_1x3, convFwdAVX512_2x3, convFwdAVX512_3x3, convFwdAVX512_4x3, convFwdAVX512_5x3, convFwdAVX512_6x3, convFwdAVX512_7x3, convFwdAVX512_8x3, convFwdAVX512_9x3},
	4: {nil, convFwdAVX512_1x4, convFwdAVX512_2x4, convFwdAVX512_3x4, convFwdAVX512_4x4, convFwdAVX512_5x4, convFwdAVX512_6x4},
}

var dwAVX2 = [5][]DWFunc{
	1: {nil, convDWAVX2_1x1, convDWAVX2_2x1, convDWAVX2_3x1, convDWAVX2_4x1, convDWAVX2_5x1, convDWAVX2_6x1, convDWAVX2_7x1, convDWAVX2_8x1, convDWAVX2_9x1, convDWAVX2_10x1, convDWAVX2_11x1, convDWAVX2_12x1},
	2: {nil, convDWAVX2_1x2, convDWAVX2_2x2, convDWAVX2_3x2, convDWAVX2_4x2, convDWAVX2_5x2, convDWAVX2_6x2},
}

var dwAVX512 = [5][]DWFunc{
	1: {nil, convDWAVX512_1x1, convDWAVX512_2x1, convDWAVX512_3x1, convDWAVX512_4x1, convDWAVX512_5x1, convDWAVX512_6x1, convDWAVX512_7x1, convDWAVX512_8x1, convDWAVX512_9x1, convDWAVX512_10x1, convDWAVX512_11x1, convDWAVX512_12x1, convDWAVX512_13x1, convDWAVX512_14x1},
	2: {nil, convDWAVX512_1x2, convDWAVX512_2x2, convDWAVX512_3x2, convDWAVX512_4x2, convDWAVX512_5x2, convDWAVX512_6x2, convDWAVX512_7x2, convDWAVX512_8x2, convDWAVX512_9x2, convDWAVX512_10x2, convDWAVX512_11x2, convDWAVX512_12x2, convDWAVX512_13x2, convDWAVX512_14x2},
	3: {nil, convDWAVX512_1x3, convDWAVX512_2x3, convDWAVX512_3x3, convDWAVX512_4x3, convDWAVX512_5x3, convDWAVX512_6x3, convDWAVX512_7x3, convDWAVX512_8x3, convDWAVX512_9x3},
	4: {nil, convDWAVX512_1x4, convDWAVX512_2x4, convDWAVX512_3x4, convDWAVX512_4x4, convDWAVX512_5x4, convDWAVX512_6x4},
}
