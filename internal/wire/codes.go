package wire

import "strconv"

// Code is a legacy command code (wire.md §2.5). A NonReplicated request
// carries one in RequestHeader.Code to say which read it is; every
// replicated operation has one too (Operation.Code, OperationForCode).
// These constants are part of the wire format and must not be changed.
type Code uint32

// The codes of the NonReplicated requests: reads, Ping, and the
// session-control and legacy codes a server must recognise to refuse.
const (
	CodePing               Code = 1
	CodeStats              Code = 10
	CodeSnapshot           Code = 11
	CodeClusterMetadata    Code = 12
	CodeDescribeOptions    Code = 13
	CodeMe                 Code = 20
	CodeClient             Code = 21
	CodeClients            Code = 22
	CodeGetUser            Code = 31
	CodeGetUsers           Code = 32
	CodeLoginUser          Code = 38 // session control: a login goes in a Register request
	CodeGetAccessTokens    Code = 41
	CodeLoginWithToken     Code = 44 // session control, as CodeLoginUser
	CodePollMessages       Code = 100
	CodeLegacySendMessages Code = 102 // Iggy's pre-VSR send; SendMessages is replicated
	CodeGetConsumerOffset  Code = 120
	CodeGetStream          Code = 200
	CodeGetStreams         Code = 201
	CodeGetTopic           Code = 300
	CodeGetTopics          Code = 301
	CodeGetGroup           Code = 600
	CodeGetGroups          Code = 601
	CodeSyncGroup          Code = 606
)

var codeNames = map[Code]string{
	CodePing: "Ping", CodeStats: "GetStats", CodeSnapshot: "GetSnapshot", CodeClusterMetadata: "GetClusterMetadata",
	CodeDescribeOptions: "DescribeOptions", CodeMe: "GetMe", CodeClient: "GetClient", CodeClients: "GetClients",
	CodeGetUser: "GetUser", CodeGetUsers: "GetUsers", CodeLoginUser: "LoginUser",
	CodeGetAccessTokens: "GetPersonalAccessTokens", CodeLoginWithToken: "LoginWithPersonalAccessToken",
	CodePollMessages: "PollMessages", CodeLegacySendMessages: "LegacySendMessages",
	CodeGetConsumerOffset: "GetConsumerOffset", CodeGetStream: "GetStream", CodeGetStreams: "GetStreams",
	CodeGetTopic: "GetTopic", CodeGetTopics: "GetTopics", CodeGetGroup: "GetConsumerGroup",
	CodeGetGroups: "GetConsumerGroups", CodeSyncGroup: "SyncGroup",
}

// String returns the command's name: a NonReplicated request's, or the
// replicated operation's whose code c is; "Code(n)" for an unknown code.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	if op, ok := codeToOp[c]; ok {
		return op.String()
	}
	return "Code(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// IsRead reports whether c is one of the NonReplicated codes above.
func (c Code) IsRead() bool {
	_, ok := codeNames[c]
	return ok
}
