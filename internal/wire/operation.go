package wire

import "strconv"

// Operation is the state-machine operation a Request, Prepare or Reply
// carries (RequestHeader byte 176, ReplyHeader byte 208). These constants are
// part of the wire format and must not be changed.
type Operation uint8

const (
	OpReserved                        Operation = 0   // invalid
	OpRegister                        Operation = 1   // session bind; body = login (LOGIN_REGISTER 40 / 45)
	OpNonReplicated                   Operation = 2   // reads and pings; legacy code at request byte 196
	OpLogout                          Operation = 3   // replicated session teardown (39)
	OpCreateTopicWithAssignments      Operation = 64  // internal; appears in CreateTopic replies
	OpCreatePartitionsWithAssignments Operation = 65  // internal; appears in CreatePartitions replies
	OpRemoveConsumerGroupMember       Operation = 66  // internal
	OpCompleteConsumerGroupRevocation Operation = 67  // internal
	OpTruncatePartition               Operation = 68  // internal; appears in DeleteSegments replies
	OpCreateStream                    Operation = 128 // 202
	OpUpdateStream                    Operation = 129 // 204
	OpDeleteStream                    Operation = 130 // 203
	OpPurgeStream                     Operation = 131 // 205
	OpCreateTopic                     Operation = 132 // 302
	OpUpdateTopic                     Operation = 133 // 304
	OpDeleteTopic                     Operation = 134 // 303
	OpPurgeTopic                      Operation = 135 // 305
	OpCreatePartitions                Operation = 136 // 402
	OpDeletePartitions                Operation = 137 // 403
	OpDeleteSegments                  Operation = 138 // 503
	OpCreateConsumerGroup             Operation = 139 // 602
	OpDeleteConsumerGroup             Operation = 140 // 603
	OpCreateUser                      Operation = 141 // 33
	OpUpdateUser                      Operation = 142 // 35
	OpDeleteUser                      Operation = 143 // 34
	OpChangePassword                  Operation = 144 // 37
	OpUpdatePermissions               Operation = 145 // 36
	OpCreatePersonalAccessToken       Operation = 146 // 42
	OpDeletePersonalAccessToken       Operation = 147 // 43
	OpJoinConsumerGroup               Operation = 148 // 604
	OpLeaveConsumerGroup              Operation = 149 // 605
	OpSendMessages                    Operation = 160 // 101
	OpStoreConsumerOffset             Operation = 161 // 121
	OpDeleteConsumerOffset            Operation = 162 // 122
)

type opInfo struct {
	name string
	code Code // legacy command code, 0 if none
}

var opList = map[Operation]opInfo{
	OpRegister: {"Register", 0}, OpNonReplicated: {"NonReplicated", 0}, OpLogout: {"Logout", 39},
	OpCreateTopicWithAssignments:      {"CreateTopicWithAssignments", 0},
	OpCreatePartitionsWithAssignments: {"CreatePartitionsWithAssignments", 0},
	OpRemoveConsumerGroupMember:       {"RemoveConsumerGroupMember", 0},
	OpCompleteConsumerGroupRevocation: {"CompleteConsumerGroupRevocation", 0},
	OpTruncatePartition:               {"TruncatePartition", 0},
	OpCreateStream:                    {"CreateStream", 202}, OpUpdateStream: {"UpdateStream", 204},
	OpDeleteStream: {"DeleteStream", 203}, OpPurgeStream: {"PurgeStream", 205},
	OpCreateTopic: {"CreateTopic", 302}, OpUpdateTopic: {"UpdateTopic", 304},
	OpDeleteTopic: {"DeleteTopic", 303}, OpPurgeTopic: {"PurgeTopic", 305},
	OpCreatePartitions: {"CreatePartitions", 402}, OpDeletePartitions: {"DeletePartitions", 403},
	OpDeleteSegments: {"DeleteSegments", 503}, OpCreateConsumerGroup: {"CreateConsumerGroup", 602},
	OpDeleteConsumerGroup: {"DeleteConsumerGroup", 603}, OpCreateUser: {"CreateUser", 33},
	OpUpdateUser: {"UpdateUser", 35}, OpDeleteUser: {"DeleteUser", 34},
	OpChangePassword: {"ChangePassword", 37}, OpUpdatePermissions: {"UpdatePermissions", 36},
	OpCreatePersonalAccessToken: {"CreatePersonalAccessToken", 42},
	OpDeletePersonalAccessToken: {"DeletePersonalAccessToken", 43},
	OpJoinConsumerGroup:         {"JoinConsumerGroup", 604}, OpLeaveConsumerGroup: {"LeaveConsumerGroup", 605},
	OpSendMessages: {"SendMessages", 101}, OpStoreConsumerOffset: {"StoreConsumerOffset", 121},
	OpDeleteConsumerOffset: {"DeleteConsumerOffset", 122},
}

// opTable indexes opList by byte so hot-path checks are an array load.
var opTable = func() (t [256]opInfo) {
	for op, info := range opList {
		t[op] = info
	}
	return t
}()

var codeToOp = func() map[Code]Operation {
	m := make(map[Code]Operation, len(opList))
	for op, info := range opList {
		if info.code != 0 {
			m[info.code] = op
		}
	}
	return m
}()

// Valid reports whether o is a declared, non-Reserved operation.
func (o Operation) Valid() bool { return opTable[o].name != "" }

// IsInternal reports whether o is replica-internal (64..127); clients must
// not send it, but it appears in replies.
func (o Operation) IsInternal() bool { return o >= 64 && o < 128 }

// IsMetadata reports whether o commits on the metadata plane: 64..68 and
// 128..149 except DeleteSegments.
func (o Operation) IsMetadata() bool {
	return o.Valid() && ((o >= 64 && o < 128) || (o >= 128 && o < 160 && o != OpDeleteSegments))
}

// IsPartition reports whether o is routed to a partition (160 and above).
func (o Operation) IsPartition() bool { return o >= 160 && o.Valid() }

// IsResultFramed reports whether a reply to o carries a result section
// (wire.md §2.6): metadata operations plus StoreConsumerOffset and
// DeleteConsumerOffset. Register replies are framed when non-empty.
func (o Operation) IsResultFramed() bool {
	return o.IsMetadata() || o == OpStoreConsumerOffset || o == OpDeleteConsumerOffset
}

// Code returns o's legacy command code, or 0 if it has none.
func (o Operation) Code() Code { return opTable[o].code }

// OperationForCode maps a legacy command code to its replicated operation.
// ok is false for codes that travel as NonReplicated.
func OperationForCode(code Code) (op Operation, ok bool) {
	op, ok = codeToOp[code]
	return op, ok
}

func (o Operation) String() string {
	if name := opTable[o].name; name != "" {
		return name
	}
	if o == OpReserved {
		return "Reserved"
	}
	return "Operation(" + strconv.Itoa(int(o)) + ")"
}
