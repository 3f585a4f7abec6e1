package server

import (
	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/wire"
)

// The binary protocol's dispatch: every operation and read code the
// server answers, in one place. Register, Logout, SendMessages and the
// partition operations (offsets, DeleteSegments) have paths of their own
// (session.go, partops.go); an operation in neither is answered
// FeatureUnavailable, a read code in neither InvalidCommand.

// writes are the replicated metadata operations (writes.go).
var writes = map[wire.Operation]writeHandler{
	wire.OpCreateUser:                writeCreateUser,
	wire.OpUpdateUser:                plain[wire.UpdateUser]((*service.Service).UpdateUser),
	wire.OpDeleteUser:                plain[wire.UserRequest]((*service.Service).DeleteUser),
	wire.OpChangePassword:            plain[wire.ChangePassword]((*service.Service).ChangePassword),
	wire.OpUpdatePermissions:         plain[wire.UpdatePermissions]((*service.Service).UpdatePermissions),
	wire.OpCreatePersonalAccessToken: writeCreateToken,
	wire.OpDeletePersonalAccessToken: plain[wire.DeleteToken]((*service.Service).DeleteToken),
	wire.OpCreateStream:              writeCreateStream,
	wire.OpUpdateStream:              plain[wire.UpdateStream]((*service.Service).UpdateStream),
	wire.OpDeleteStream:              plain[wire.StreamRequest]((*service.Service).DeleteStream),
	wire.OpPurgeStream:               plain[wire.StreamRequest]((*service.Service).PurgeStream),
	wire.OpCreateTopic:               writeCreateTopic,
	wire.OpUpdateTopic:               plain[wire.UpdateTopic]((*service.Service).UpdateTopic),
	wire.OpDeleteTopic:               plain[wire.TopicRequest]((*service.Service).DeleteTopic),
	wire.OpPurgeTopic:                plain[wire.TopicRequest]((*service.Service).PurgeTopic),
	wire.OpCreatePartitions:          plain[wire.PartitionsRequest]((*service.Service).CreatePartitions),
	wire.OpDeletePartitions:          plain[wire.PartitionsRequest]((*service.Service).DeletePartitions),
	wire.OpCreateConsumerGroup:       writeCreateGroup,
	wire.OpDeleteConsumerGroup:       plain[wire.GroupRequest]((*service.Service).DeleteGroup),
	wire.OpJoinConsumerGroup:         plain[wire.GroupRequest]((*service.Service).JoinGroup),
	wire.OpLeaveConsumerGroup:        plain[wire.GroupRequest]((*service.Service).LeaveGroup),
}

// reads are the NonReplicated reads answered on the connection's shard
// from the committed state (reads.go). Ping, the session-control codes,
// polls, consumer offsets and snapshots have paths of their own (read).
var reads = map[wire.Code]readHandler{
	wire.CodeStats:           (*Server).readStats,
	wire.CodeClusterMetadata: (*Server).readClusterMetadata,
	wire.CodeDescribeOptions: (*Server).readDescribeOptions,
	wire.CodeMe:              (*Server).readMe,
	wire.CodeClient:          (*Server).readClient,
	wire.CodeClients:         (*Server).readClients,
	wire.CodeGetUser:         (*Server).readUser,
	wire.CodeGetUsers:        (*Server).readUsers,
	wire.CodeGetAccessTokens: (*Server).readTokens,
	wire.CodeGetStream:       (*Server).readStream,
	wire.CodeGetStreams:      (*Server).readStreams,
	wire.CodeGetTopic:        (*Server).readTopic,
	wire.CodeGetTopics:       (*Server).readTopics,
	wire.CodeGetGroup:        (*Server).readGroup,
	wire.CodeGetGroups:       (*Server).readGroups,
	wire.CodeSyncGroup:       (*Server).readSyncGroup,
}

// readScopes are the NonReplicated reads that need a grant. Users, tokens
// and the caller's own session are checked by their handlers; polls and
// offsets after their bodies are decoded (auth.NeedPoll).
var readScopes = map[wire.Code]auth.Scope{
	wire.CodeStats:      auth.NeedServer,
	wire.CodeSnapshot:   auth.NeedServer,
	wire.CodeClient:     auth.NeedServer,
	wire.CodeClients:    auth.NeedServer,
	wire.CodeGetStream:  auth.NeedReadStream,
	wire.CodeGetStreams: auth.NeedStreamList,
	wire.CodeGetTopic:   auth.NeedReadTopic,
	wire.CodeGetTopics:  auth.NeedTopicList,
	wire.CodeGetGroup:   auth.NeedReadTopic,
	wire.CodeGetGroups:  auth.NeedReadTopic,
	wire.CodeSyncGroup:  auth.NeedReadTopic,
}
