package client

import "github.com/shoal-io/shoal/internal/wire"

// Wire-level types users need, re-exported (issue #13: nothing outside this
// module can import internal/wire). Each is an alias, not a copy, because
// its values are protocol codes that the server defines (an IggyError code,
// an operation byte, an eviction reason, a packed version) and its exported
// methods and fields use only builtin types or other types re-exported
// here; so users hold the same values as the wire codec, and no table of
// codes can drift between two packages. api_test.go checks that nothing else
// internal is reachable from client's exported API.

// Status is a reply status: 0 for success, otherwise an IggyError code.
// StatusError.Status is one; compare it with the constants below, or with
// Status(n) for a code not listed.
type Status = wire.Status

// The statuses a Shoal server answers with, and a few more that an Iggy
// server sends to clients. The values are Iggy's error codes.
const (
	StatusOK                               = wire.StatusOK
	StatusGenericError                     = wire.StatusError // Iggy's Error (1); StatusError is the error type
	StatusInvalidCommand                   = wire.StatusInvalidCommand
	StatusInvalidFormat                    = wire.StatusInvalidFormat
	StatusFeatureUnavailable               = wire.StatusFeatureUnavailable
	StatusInvalidIdentifier                = wire.StatusInvalidIdentifier
	StatusResourceNotFound                 = wire.StatusResourceNotFound
	StatusStaleClient                      = wire.StatusStaleClient
	StatusUnauthenticated                  = wire.StatusUnauthenticated
	StatusUnauthorized                     = wire.StatusUnauthorized
	StatusInvalidCredentials               = wire.StatusInvalidCredentials
	StatusInvalidUsername                  = wire.StatusInvalidUsername
	StatusInvalidPassword                  = wire.StatusInvalidPassword
	StatusInvalidUserStatus                = wire.StatusInvalidUserStatus
	StatusUserAlreadyExists                = wire.StatusUserAlreadyExists
	StatusUserInactive                     = wire.StatusUserInactive
	StatusCannotDeleteUser                 = wire.StatusCannotDeleteUser
	StatusCannotChangePermissions          = wire.StatusCannotChangePermissions
	StatusInvalidPersonalAccessTokenName   = wire.StatusInvalidPersonalAccessTokenName
	StatusPersonalAccessTokenAlreadyExists = wire.StatusPersonalAccessTokenAlreadyExists
	StatusPersonalAccessTokensLimitReached = wire.StatusPersonalAccessTokensLimitReached
	StatusInvalidPersonalAccessToken       = wire.StatusInvalidPersonalAccessToken
	StatusPersonalAccessTokenExpired       = wire.StatusPersonalAccessTokenExpired
	StatusUsersLimitReached                = wire.StatusUsersLimitReached
	StatusInvalidPersonalAccessTokenExpiry = wire.StatusInvalidPersonalAccessTokenExpiry
	StatusTransientNotCommitted            = wire.StatusTransientNotCommitted
	StatusTransientNotAccepted             = wire.StatusTransientNotAccepted
	StatusRequestAlreadyApplied            = wire.StatusRequestAlreadyApplied
	StatusClientNotFound                   = wire.StatusClientNotFound
	StatusStreamIdNotFound                 = wire.StatusStreamIdNotFound
	StatusStreamNameNotFound               = wire.StatusStreamNameNotFound
	StatusStreamNameAlreadyExists          = wire.StatusStreamNameAlreadyExists
	StatusInvalidStreamName                = wire.StatusInvalidStreamName
	StatusInvalidStreamId                  = wire.StatusInvalidStreamId
	StatusInvalidTopicSize                 = wire.StatusInvalidTopicSize
	StatusTooManyStreams                   = wire.StatusTooManyStreams
	StatusTopicIdNotFound                  = wire.StatusTopicIdNotFound
	StatusTopicNameNotFound                = wire.StatusTopicNameNotFound
	StatusTopicNameAlreadyExists           = wire.StatusTopicNameAlreadyExists
	StatusInvalidTopicName                 = wire.StatusInvalidTopicName
	StatusTooManyPartitions                = wire.StatusTooManyPartitions
	StatusInvalidTopicId                   = wire.StatusInvalidTopicId
	StatusInvalidPartitionsCount           = wire.StatusInvalidPartitionsCount
	StatusTooManyTopics                    = wire.StatusTooManyTopics
	StatusCannotReadPartitions             = wire.StatusCannotReadPartitions
	StatusPartitionNotFound                = wire.StatusPartitionNotFound
	StatusConsumerOffsetNotFound           = wire.StatusConsumerOffsetNotFound
	StatusCannotSaveMessagesToSegment      = wire.StatusCannotSaveMessagesToSegment
	StatusInvalidMessagesCount             = wire.StatusInvalidMessagesCount
	StatusInvalidMessageChecksum           = wire.StatusInvalidMessageChecksum
	StatusInvalidBatchChecksum             = wire.StatusInvalidBatchChecksum
	StatusUnsupportedOptionKey             = wire.StatusUnsupportedOptionKey
	StatusInvalidOptionValue               = wire.StatusInvalidOptionValue
	StatusOptionsBlockTooLarge             = wire.StatusOptionsBlockTooLarge
	StatusInvalidOffset                    = wire.StatusInvalidOffset
	StatusInvalidReservedField             = wire.StatusInvalidReservedField
	StatusConsumerGroupIdNotFound          = wire.StatusConsumerGroupIdNotFound
	StatusInvalidConsumerGroupId           = wire.StatusInvalidConsumerGroupId
	StatusConsumerGroupNameNotFound        = wire.StatusConsumerGroupNameNotFound
	StatusConsumerGroupNameAlreadyExists   = wire.StatusConsumerGroupNameAlreadyExists
	StatusInvalidConsumerGroupName         = wire.StatusInvalidConsumerGroupName
	StatusConsumerGroupMemberNotFound      = wire.StatusConsumerGroupMemberNotFound
	StatusSnapshotFileCompletionFailed     = wire.StatusSnapshotFileCompletionFailed
	StatusIncompatibleProtocolVersion      = wire.StatusIncompatibleProtocolVersion
)

// Operation is the operation a request carries (Request's op).
type Operation = wire.Operation

// The operations Request may send. OpNonReplicated carries reads and pings,
// selected by their legacy command code (the Code constants); the others
// are replicated and need a login. Register is sent by Login only.
const (
	OpNonReplicated             = wire.OpNonReplicated
	OpCreateStream              = wire.OpCreateStream
	OpUpdateStream              = wire.OpUpdateStream
	OpDeleteStream              = wire.OpDeleteStream
	OpPurgeStream               = wire.OpPurgeStream
	OpCreateTopic               = wire.OpCreateTopic
	OpUpdateTopic               = wire.OpUpdateTopic
	OpDeleteTopic               = wire.OpDeleteTopic
	OpPurgeTopic                = wire.OpPurgeTopic
	OpCreatePartitions          = wire.OpCreatePartitions
	OpDeletePartitions          = wire.OpDeletePartitions
	OpDeleteSegments            = wire.OpDeleteSegments
	OpCreateConsumerGroup       = wire.OpCreateConsumerGroup
	OpDeleteConsumerGroup       = wire.OpDeleteConsumerGroup
	OpCreateUser                = wire.OpCreateUser
	OpUpdateUser                = wire.OpUpdateUser
	OpDeleteUser                = wire.OpDeleteUser
	OpChangePassword            = wire.OpChangePassword
	OpUpdatePermissions         = wire.OpUpdatePermissions
	OpCreatePersonalAccessToken = wire.OpCreatePersonalAccessToken
	OpDeletePersonalAccessToken = wire.OpDeletePersonalAccessToken
	OpJoinConsumerGroup         = wire.OpJoinConsumerGroup
	OpLeaveConsumerGroup        = wire.OpLeaveConsumerGroup
	OpSendMessages              = wire.OpSendMessages
	OpStoreConsumerOffset       = wire.OpStoreConsumerOffset
	OpDeleteConsumerOffset      = wire.OpDeleteConsumerOffset
)

// Code is a legacy command code (Operation.Code returns one). The Code
// constants (CodePing, CodeStats, ...) are the NonReplicated reads' codes,
// as the uint32 Request takes.
type Code = wire.Code

// EvictionReason says why the server ended a session (EvictionError.Reason).
type EvictionReason = wire.EvictionReason

// Eviction reasons, as the server sends them.
const (
	EvictNoSession               = wire.EvictNoSession
	EvictClientReleaseTooLow     = wire.EvictClientReleaseTooLow
	EvictClientReleaseTooHigh    = wire.EvictClientReleaseTooHigh
	EvictInvalidRequestOperation = wire.EvictInvalidRequestOperation
	EvictInvalidRequestBody      = wire.EvictInvalidRequestBody
	EvictInvalidRequestBodySize  = wire.EvictInvalidRequestBodySize
	EvictSessionTooLow           = wire.EvictSessionTooLow
	EvictSessionReleaseMismatch  = wire.EvictSessionReleaseMismatch
	EvictInvalidCredentials      = wire.EvictInvalidCredentials
	EvictInvalidToken            = wire.EvictInvalidToken
	EvictUserInactive            = wire.EvictUserInactive
	EvictSessionError            = wire.EvictSessionError
	EvictStaleClient             = wire.EvictStaleClient
	EvictIncompatibleProtocol    = wire.EvictIncompatibleProtocol // MinVersion and MaxVersion are set
	EvictMalformedLogin          = wire.EvictMalformedLogin
)

// ProtocolVersion is a packed major.minor.patch protocol version
// (WithProtocolVersion, Session.ServerProtocolVersion, EvictionError).
type ProtocolVersion = wire.ProtocolVersion

const (
	// CurrentProtocolVersion is the version the client sends by default.
	CurrentProtocolVersion = wire.CurrentProtocolVersion
	// MinProtocolVersion is the oldest version a Shoal server accepts.
	MinProtocolVersion = wire.MinProtocolVersion
)

// PackVersion returns the protocol version major.minor.patch (each 0..1023).
func PackVersion(major, minor, patch uint32) ProtocolVersion {
	return wire.PackVersion(major, minor, patch)
}

// IdentifierKind is Identifier.Kind.
type IdentifierKind = wire.IdentifierKind

// Identifier kinds.
const (
	IdentifierKindNumeric = wire.IdentifierNumeric
	IdentifierKindString  = wire.IdentifierString
)

// ConsumerKind is Consumer.Kind.
type ConsumerKind = wire.ConsumerKind

// Consumer kinds.
const (
	ConsumerKindSingle = wire.ConsumerSingle
	ConsumerKindGroup  = wire.ConsumerGroup
)

// PartitioningKind is Partitioning.Kind.
type PartitioningKind = wire.PartitioningKind

// Partitioning kinds.
const (
	PartitioningKindBalanced  = wire.PartitionBalanced
	PartitioningKindID        = wire.PartitionByID
	PartitioningKindMessageID = wire.PartitionByMessageID
)

// PollingKind is PollingStrategy.Kind.
type PollingKind = wire.PollingKind

// Polling kinds.
const (
	PollingKindOffset    = wire.PollOffset
	PollingKindTimestamp = wire.PollTimestamp
	PollingKindFirst     = wire.PollFirst
	PollingKindLast      = wire.PollLast
	PollingKindNext      = wire.PollNext
)
