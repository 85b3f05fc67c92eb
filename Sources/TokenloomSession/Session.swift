// TokenloomSession: runs decoders on a background DispatchQueue and hands immutable snapshots to
// the UI. (Filled in by the explorer work; this file marks the module's place in the layering.)
import TokenloomDecoding
