package reduce

// Summer computes Sum over a sequence of values that arrives in pieces. The
// result is bit-identical to Sum of the concatenated pieces whatever the
// piece sizes: full blocks of BlockSize values are summed pairwise as soon as
// they are complete, the partial block is kept (at most BlockSize values,
// 64 KiB) until more values arrive or Sum is called.
//
// The zero value is an empty Summer ready to use. A Summer must not be
// copied after first use.
type Summer struct {
	acc   float64
	count int
	fill  int
	buf   []float64
}

// Add appends the values of x to the sequence.
func (s *Summer) Add(x []float64) {
	s.count += len(x)
	if s.fill > 0 {
		k := copy(s.buf[s.fill:], x)
		s.fill += k
		x = x[k:]
		if s.fill < BlockSize {
			return
		}
		s.acc += Pairwise(s.buf)
		s.fill = 0
	}
	for len(x) >= BlockSize {
		s.acc += Pairwise(x[:BlockSize])
		x = x[BlockSize:]
	}
	if len(x) > 0 {
		if s.buf == nil {
			s.buf = make([]float64, BlockSize)
		}
		s.fill = copy(s.buf, x)
	}
}

// AddSum adds x like Add and also returns Sum(x). When the Summer is at a
// block boundary (always the case if every piece is a multiple of
// BlockSize long) the block sums are computed once and shared, so this
// costs one pairwise pass instead of two.
func (s *Summer) AddSum(x []float64) float64 {
	if s.fill != 0 {
		s.Add(x)
		return Sum(x)
	}
	s.count += len(x)
	sum := 0.0
	for len(x) >= BlockSize {
		p := Pairwise(x[:BlockSize])
		s.acc += p
		sum += p
		x = x[BlockSize:]
	}
	if len(x) > 0 {
		if s.buf == nil {
			s.buf = make([]float64, BlockSize)
		}
		s.fill = copy(s.buf, x)
	}
	// Sum's last block is the remainder, or the last full block already
	// added (then Pairwise of nothing adds 0.0, which changes nothing).
	return sum + Pairwise(x)
}

// AddBlockSums adds len(blockSums) full blocks of BlockSize values given by
// their Pairwise sums, which the caller computed while the values were in
// cache. The Summer must be at a block boundary (every earlier piece a
// whole number of blocks); otherwise the blocks would not line up with
// numpy's and AddBlockSums panics.
func (s *Summer) AddBlockSums(blockSums []float64) {
	if s.fill != 0 {
		panic("reduce: AddBlockSums on a Summer that is not at a block boundary")
	}
	for _, b := range blockSums {
		s.acc += b
	}
	s.count += len(blockSums) * BlockSize
}

// Len returns the number of values added so far.
func (s *Summer) Len() int { return s.count }

// Sum returns numpy's sum of every value added so far. It does not change
// the state, so more values may be added afterwards.
func (s *Summer) Sum() float64 {
	if s.fill == 0 {
		// Every full block is already in acc; numpy's final block is the
		// last full one, so nothing is left to add.
		return s.acc
	}
	return s.acc + Pairwise(s.buf[:s.fill])
}

// Mean returns Sum() / Len().
func (s *Summer) Mean() float64 { return s.Sum() / float64(s.count) }

// Reset empties the Summer, keeping its buffer.
func (s *Summer) Reset() {
	s.acc, s.count, s.fill = 0, 0, 0
}
