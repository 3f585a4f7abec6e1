package service

import (
	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// Streams, topics, partitions and consumer groups. Each takes its wire
// request body, decoded. An options block is parsed at once (its status
// comes before the caller's permissions, as in Iggy); then the write
// checks its scope (Iggy's permissioner rules, internal/auth) on the
// writer, against the committed state, and proposes. A stream or topic
// that does not exist is answered by the apply's check with its "not
// found" status.

// refuse answers a request refused before it is queued.
func refuse(st wire.Status, done Done) error {
	done(failed(st))
	return nil
}

// CreateStream creates a stream. Outcome.Result.ID is its id.
func (s *Service) CreateStream(c Caller, req wire.CreateStream, done Done) error {
	op, st := metadata.CreateStreamOp(req, 0)
	if st != wire.StatusOK {
		return refuse(st, done)
	}
	return s.write(c, auth.NeedCreate, nil, func(*metadata.State) (metadata.Op, wire.Status) {
		op.Timestamp = s.micros()
		return op, wire.StatusOK
	}, done)
}

// UpdateStream renames a stream.
func (s *Service) UpdateStream(c Caller, req wire.UpdateStream, done Done) error {
	op, st := metadata.UpdateStreamOp(req)
	if st != wire.StatusOK {
		return refuse(st, done)
	}
	return s.write(c, auth.NeedManage, []wire.Identifier{req.Stream}, just(op), done)
}

// DeleteStream deletes a stream, its topics and their partitions.
func (s *Service) DeleteStream(c Caller, req wire.StreamRequest, done Done) error {
	return s.write(c, auth.NeedManage, []wire.Identifier{req.Stream}, just(metadata.DeleteStream{Stream: req.Stream}), done)
}

// PurgeStream deletes every message of a stream's partitions.
func (s *Service) PurgeStream(c Caller, req wire.StreamRequest, done Done) error {
	return s.write(c, auth.NeedManage, []wire.Identifier{req.Stream}, just(metadata.PurgeStream{Stream: req.Stream}), done)
}

// CreateTopic creates a topic and its partitions, placed on the shards
// round robin. Outcome.Result.ID is its id.
func (s *Service) CreateTopic(c Caller, req wire.CreateTopic, done Done) error {
	op, st := metadata.CreateTopicOp(req, 0, s.shards)
	if st != wire.StatusOK {
		return refuse(st, done)
	}
	return s.write(c, auth.NeedCreateTopic, []wire.Identifier{req.Stream}, func(*metadata.State) (metadata.Op, wire.Status) {
		op.Timestamp = s.micros()
		return op, wire.StatusOK
	}, done)
}

// UpdateTopic renames a topic and patches its updatable options.
func (s *Service) UpdateTopic(c Caller, req wire.UpdateTopic, done Done) error {
	op, st := metadata.UpdateTopicOp(req)
	if st != wire.StatusOK {
		return refuse(st, done)
	}
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic}, just(op), done)
}

// DeleteTopic deletes a topic and its partitions.
func (s *Service) DeleteTopic(c Caller, req wire.TopicRequest, done Done) error {
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic},
		just(metadata.DeleteTopic{Stream: req.Stream, Topic: req.Topic}), done)
}

// PurgeTopic deletes every message of a topic's partitions.
func (s *Service) PurgeTopic(c Caller, req wire.TopicRequest, done Done) error {
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic},
		just(metadata.PurgeTopic{Stream: req.Stream, Topic: req.Topic}), done)
}

// CreatePartitions adds partitions to a topic.
func (s *Service) CreatePartitions(c Caller, req wire.PartitionsRequest, done Done) error {
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic}, func(*metadata.State) (metadata.Op, wire.Status) {
		return metadata.CreatePartitions{Timestamp: s.micros(), Stream: req.Stream, Topic: req.Topic, Count: req.Count,
			Shards: s.shards}, wire.StatusOK
	}, done)
}

// DeletePartitions removes a topic's last partitions.
func (s *Service) DeletePartitions(c Caller, req wire.PartitionsRequest, done Done) error {
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic},
		just(metadata.DeletePartitions{Stream: req.Stream, Topic: req.Topic, Count: req.Count}), done)
}

// CreateGroup creates a consumer group. Outcome.Result.ID is its id.
func (s *Service) CreateGroup(c Caller, req wire.CreateGroup, done Done) error {
	return s.write(c, auth.NeedReadTopic, []wire.Identifier{req.Stream, req.Topic},
		just(metadata.CreateConsumerGroup{Stream: req.Stream, Topic: req.Topic, Name: req.Name}), done)
}

// DeleteGroup deletes a consumer group.
func (s *Service) DeleteGroup(c Caller, req wire.GroupRequest, done Done) error {
	return s.write(c, auth.NeedReadTopic, []wire.Identifier{req.Stream, req.Topic},
		just(metadata.DeleteConsumerGroup{Stream: req.Stream, Topic: req.Topic, Group: req.Group}), done)
}

// JoinGroup makes the caller's session a member of a consumer group.
func (s *Service) JoinGroup(c Caller, req wire.GroupRequest, done Done) error {
	return s.write(c, auth.NeedReadTopic, []wire.Identifier{req.Stream, req.Topic},
		just(metadata.JoinConsumerGroup{Stream: req.Stream, Topic: req.Topic, Group: req.Group, Client: c.Client}), done)
}

// LeaveGroup takes the caller's session out of a consumer group.
func (s *Service) LeaveGroup(c Caller, req wire.GroupRequest, done Done) error {
	return s.write(c, auth.NeedReadTopic, []wire.Identifier{req.Stream, req.Topic},
		just(metadata.LeaveConsumerGroup{Stream: req.Stream, Topic: req.Topic, Group: req.Group, Client: c.Client}), done)
}
