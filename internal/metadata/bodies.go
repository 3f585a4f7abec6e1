package metadata

import "github.com/shoal-io/shoal/internal/wire"

// Operations from request bodies. The wire package decodes the bodies
// (wire.CreateStream, wire.CreateTopic, ...) and keeps their options
// blocks raw; these functions parse what the metadata owns, the options
// against the catalog, and build the operations to propose. Their
// statuses are the ones Iggy answers before consensus; a caller checks
// them before the caller's permissions, as Iggy does.

// CreateStreamOp returns the operation for a CreateStream body. Streams
// have no option keys: any is StatusUnsupportedOptionKey, a malformed
// block StatusInvalidCommand.
func CreateStreamOp(req wire.CreateStream, timestamp uint64) (CreateStream, wire.Status) {
	if st := ParseStreamOptions(req.Options); st != wire.StatusOK {
		return CreateStream{}, st
	}
	return CreateStream{Timestamp: timestamp, Name: req.Name}, wire.StatusOK
}

// UpdateStreamOp returns the operation for an UpdateStream body, whose
// options are checked as CreateStreamOp checks them.
func UpdateStreamOp(req wire.UpdateStream) (UpdateStream, wire.Status) {
	if st := ParseStreamOptions(req.Options); st != wire.StatusOK {
		return UpdateStream{}, st
	}
	return UpdateStream{Stream: req.Stream, Name: req.Name}, wire.StatusOK
}

// CreateTopicOp parses a CreateTopic body's options against the catalog,
// applies the create-time bounds (wire.md §3.7) and returns the operation;
// shards is the number of shards its partitions are placed on.
func CreateTopicOp(req wire.CreateTopic, timestamp uint64, shards uint32) (CreateTopic, wire.Status) {
	o, st := ParseTopicOptions(req.Options)
	if st == wire.StatusOK {
		st = validateTopic(req.Partitions, o)
	}
	if st != wire.StatusOK {
		return CreateTopic{}, st
	}
	return CreateTopic{Timestamp: timestamp, Stream: req.Stream, Partitions: req.Partitions, Shards: shards,
		Name: req.Name, Options: o}, wire.StatusOK
}

// UpdateTopicOp parses an UpdateTopic body's options and returns the
// operation; a key an update may not change (UpdatableTopicOptions) is
// StatusUnsupportedOptionKey. The bound that depends on the topic
// (max_topic_size against its segment size) is the state's to check.
func UpdateTopicOp(req wire.UpdateTopic) (UpdateTopic, wire.Status) {
	o, st := ParseTopicOptions(req.Options)
	if st != wire.StatusOK {
		return UpdateTopic{}, st
	}
	if o.Explicit&^UpdatableTopicOptions != 0 {
		return UpdateTopic{}, wire.StatusUnsupportedOptionKey
	}
	return UpdateTopic{Stream: req.Stream, Topic: req.Topic, Name: req.Name, Options: o}, wire.StatusOK
}
