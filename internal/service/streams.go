package service

import (
	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// Streams, topics, partitions and consumer groups. Each checks its scope
// (Iggy's permissioner rules, internal/auth) on the writer, against the
// committed state, and proposes. A stream or topic that does not exist is
// answered by the apply's check with its "not found" status.

// CreateStream creates a stream. Outcome.Result.ID is its id.
func (s *Service) CreateStream(c Caller, req metadata.CreateStreamRequest, done Done) error {
	return s.write(c, auth.NeedCreate, nil, func(*metadata.State) (metadata.Op, wire.Status) {
		return req.Op(s.micros()), wire.StatusOK
	}, done)
}

// UpdateStream renames a stream.
func (s *Service) UpdateStream(c Caller, req metadata.UpdateStreamRequest, done Done) error {
	return s.write(c, auth.NeedManage, []wire.Identifier{req.Stream}, just(req.Op()), done)
}

// DeleteStream deletes a stream, its topics and their partitions.
func (s *Service) DeleteStream(c Caller, req metadata.StreamRequest, done Done) error {
	return s.write(c, auth.NeedManage, []wire.Identifier{req.Stream}, just(metadata.DeleteStream(req)), done)
}

// PurgeStream deletes every message of a stream's partitions.
func (s *Service) PurgeStream(c Caller, req metadata.StreamRequest, done Done) error {
	return s.write(c, auth.NeedManage, []wire.Identifier{req.Stream}, just(metadata.PurgeStream(req)), done)
}

// CreateTopic creates a topic and its partitions, placed on the shards
// round robin. Outcome.Result.ID is its id.
func (s *Service) CreateTopic(c Caller, req metadata.CreateTopicRequest, done Done) error {
	return s.write(c, auth.NeedCreateTopic, []wire.Identifier{req.Stream}, func(*metadata.State) (metadata.Op, wire.Status) {
		return req.Op(s.micros(), s.shards), wire.StatusOK
	}, done)
}

// UpdateTopic renames a topic and patches its updatable options.
func (s *Service) UpdateTopic(c Caller, req metadata.UpdateTopicRequest, done Done) error {
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic}, just(req.Op()), done)
}

// DeleteTopic deletes a topic and its partitions.
func (s *Service) DeleteTopic(c Caller, req metadata.TopicRequest, done Done) error {
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic}, just(metadata.DeleteTopic(req)), done)
}

// PurgeTopic deletes every message of a topic's partitions.
func (s *Service) PurgeTopic(c Caller, req metadata.TopicRequest, done Done) error {
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic}, just(metadata.PurgeTopic(req)), done)
}

// CreatePartitions adds partitions to a topic.
func (s *Service) CreatePartitions(c Caller, req metadata.PartitionsRequest, done Done) error {
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic}, func(*metadata.State) (metadata.Op, wire.Status) {
		return req.CreateOp(s.micros(), s.shards), wire.StatusOK
	}, done)
}

// DeletePartitions removes a topic's last partitions.
func (s *Service) DeletePartitions(c Caller, req metadata.PartitionsRequest, done Done) error {
	return s.write(c, auth.NeedManageTopic, []wire.Identifier{req.Stream, req.Topic}, just(req.DeleteOp()), done)
}

// CreateGroup creates a consumer group. Outcome.Result.ID is its id.
func (s *Service) CreateGroup(c Caller, req metadata.CreateGroupRequest, done Done) error {
	return s.write(c, auth.NeedReadTopic, []wire.Identifier{req.Stream, req.Topic}, just(req.Op()), done)
}

// DeleteGroup deletes a consumer group.
func (s *Service) DeleteGroup(c Caller, req metadata.GroupRequest, done Done) error {
	return s.write(c, auth.NeedReadTopic, []wire.Identifier{req.Stream, req.Topic}, just(req.DeleteOp()), done)
}

// JoinGroup makes the caller's session a member of a consumer group.
func (s *Service) JoinGroup(c Caller, req metadata.GroupRequest, done Done) error {
	return s.write(c, auth.NeedReadTopic, []wire.Identifier{req.Stream, req.Topic}, just(req.JoinOp(c.Client)), done)
}

// LeaveGroup takes the caller's session out of a consumer group.
func (s *Service) LeaveGroup(c Caller, req metadata.GroupRequest, done Done) error {
	return s.write(c, auth.NeedReadTopic, []wire.Identifier{req.Stream, req.Topic}, just(req.LeaveOp(c.Client)), done)
}
