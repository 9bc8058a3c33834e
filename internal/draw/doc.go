// Package draw is the verifiable 双随机 draw: the commitment an agency
// publishes before the randomness exists, the deterministic procedure that
// picks from it (ruqi-draw-v1), and the check that anyone can run on a
// published draw with nothing but the log's public key.
package draw
