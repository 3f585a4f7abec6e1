// Code generated from the IggyError code table at Iggy cc269ef70; the codes
// are part of the wire protocol and must not be changed.

package wire

// Status codes: the IggyError codes a Reply carries at byte 216, or a
// result section carries for a committed business rejection.
const (
	StatusOK                                         Status = 0 // success
	StatusError                                      Status = 1
	StatusInvalidConfiguration                       Status = 2
	StatusInvalidCommand                             Status = 3
	StatusInvalidFormat                              Status = 4
	StatusFeatureUnavailable                         Status = 5
	StatusInvalidIdentifier                          Status = 6
	StatusInvalidVersion                             Status = 7
	StatusDisconnected                               Status = 8
	StatusCannotEstablishConnection                  Status = 9
	StatusCannotCreateBaseDirectory                  Status = 10
	StatusCannotCreateRuntimeDirectory               Status = 11
	StatusCannotRemoveRuntimeDirectory               Status = 12
	StatusCannotCreateStateDirectory                 Status = 13
	StatusStateFileNotFound                          Status = 14
	StatusStateFileCorrupted                         Status = 15
	StatusInvalidStateEntryChecksum                  Status = 16
	StatusCannotOpenDatabase                         Status = 19
	StatusResourceNotFound                           Status = 20
	StatusCannotCloseWebSocketConnection             Status = 21
	StatusStaleClient                                Status = 30
	StatusTcpError                                   Status = 31
	StatusQuicError                                  Status = 32
	StatusInvalidServerAddress                       Status = 33
	StatusInvalidClientAddress                       Status = 34
	StatusInvalidIpAddress                           Status = 35
	StatusHttpError                                  Status = 36
	StatusInvalidApiUrl                              Status = 37
	StatusUnauthenticated                            Status = 40
	StatusUnauthorized                               Status = 41
	StatusInvalidCredentials                         Status = 42
	StatusInvalidUsername                            Status = 43
	StatusInvalidPassword                            Status = 44
	StatusInvalidUserStatus                          Status = 45
	StatusUserAlreadyExists                          Status = 46
	StatusUserInactive                               Status = 47
	StatusCannotDeleteUser                           Status = 48
	StatusCannotChangePermissions                    Status = 49
	StatusInvalidPersonalAccessTokenName             Status = 50
	StatusPersonalAccessTokenAlreadyExists           Status = 51
	StatusPersonalAccessTokensLimitReached           Status = 52
	StatusInvalidPersonalAccessToken                 Status = 53
	StatusPersonalAccessTokenExpired                 Status = 54
	StatusUsersLimitReached                          Status = 55
	StatusInvalidPersonalAccessTokenExpiry           Status = 56
	StatusTransientNotCommitted                      Status = 57
	StatusTransientNotAccepted                       Status = 58
	StatusRequestAlreadyApplied                      Status = 59
	StatusNotConnected                               Status = 61
	StatusClientShutdown                             Status = 63
	StatusInvalidTlsDomain                           Status = 64
	StatusInvalidTlsCertificatePath                  Status = 65
	StatusInvalidTlsCertificate                      Status = 66
	StatusFailedToAddCertificate                     Status = 67
	StatusInvalidEncryptionKey                       Status = 70
	StatusCannotEncryptData                          Status = 71
	StatusCannotDecryptData                          Status = 72
	StatusInvalidJwtAlgorithm                        Status = 73
	StatusInvalidJwtSecret                           Status = 74
	StatusJwtMissing                                 Status = 75
	StatusCannotGenerateJwt                          Status = 76
	StatusAccessTokenMissing                         Status = 77
	StatusInvalidAccessToken                         Status = 78
	StatusCannotFetchJwks                            Status = 79
	StatusInvalidSizeBytes                           Status = 80
	StatusInvalidUtf8                                Status = 81
	StatusInvalidNumberEncoding                      Status = 82
	StatusInvalidBooleanValue                        Status = 83
	StatusInvalidNumberValue                         Status = 84
	StatusClientNotFound                             Status = 100
	StatusInvalidClientId                            Status = 101
	StatusConnectionClosed                           Status = 206
	StatusCannotParseHeaderKind                      Status = 209
	StatusHttpResponseError                          Status = 300
	StatusInvalidHttpRequest                         Status = 301
	StatusInvalidJsonResponse                        Status = 302
	StatusInvalidBytesResponse                       Status = 303
	StatusEmptyResponse                              Status = 304
	StatusCannotCreateEndpoint                       Status = 305
	StatusCannotParseUrl                             Status = 306
	StatusWebSocketError                             Status = 400
	StatusWebSocketConnectionError                   Status = 401
	StatusWebSocketCloseError                        Status = 402
	StatusWebSocketReceiveError                      Status = 403
	StatusWebSocketSendError                         Status = 404
	StatusCannotCreateStreamsDirectory               Status = 1000
	StatusCannotCreateStreamDirectory                Status = 1001
	StatusCannotCreateStreamInfo                     Status = 1002
	StatusCannotUpdateStreamInfo                     Status = 1003
	StatusCannotOpenStreamInfo                       Status = 1004
	StatusCannotReadStreamInfo                       Status = 1005
	StatusCannotCreateStream                         Status = 1006
	StatusCannotDeleteStream                         Status = 1007
	StatusCannotDeleteStreamDirectory                Status = 1008
	StatusStreamIdNotFound                           Status = 1009
	StatusStreamNameNotFound                         Status = 1010
	StatusStreamDirectoryNotFound                    Status = 1011
	StatusStreamNameAlreadyExists                    Status = 1012
	StatusInvalidStreamName                          Status = 1013
	StatusInvalidStreamId                            Status = 1014
	StatusCannotReadStreams                          Status = 1015
	StatusInvalidTopicSize                           Status = 1019
	StatusTooManyStreams                             Status = 1020
	StatusCannotCreateTopicsDirectory                Status = 2000
	StatusCannotCreateTopicDirectory                 Status = 2001
	StatusCannotCreateTopicInfo                      Status = 2002
	StatusCannotUpdateTopicInfo                      Status = 2003
	StatusCannotOpenTopicInfo                        Status = 2004
	StatusCannotReadTopicInfo                        Status = 2005
	StatusCannotCreateTopic                          Status = 2006
	StatusCannotDeleteTopic                          Status = 2007
	StatusCannotDeleteTopicDirectory                 Status = 2008
	StatusCannotPollTopic                            Status = 2009
	StatusTopicIdNotFound                            Status = 2010
	StatusTopicNameNotFound                          Status = 2011
	StatusTopicNameAlreadyExists                     Status = 2013
	StatusInvalidTopicName                           Status = 2014
	StatusTooManyPartitions                          Status = 2015
	StatusInvalidTopicId                             Status = 2016
	StatusCannotReadTopics                           Status = 2017
	StatusInvalidReplicationFactor                   Status = 2018
	StatusInvalidPartitionsCount                     Status = 2019
	StatusTopicDirectoryNotFound                     Status = 2020
	StatusTooManyTopics                              Status = 2021
	StatusCannotCreatePartition                      Status = 3000
	StatusCannotCreatePartitionsDirectory            Status = 3001
	StatusCannotCreatePartitionDirectory             Status = 3002
	StatusCannotOpenPartitionLogFile                 Status = 3003
	StatusCannotReadPartitions                       Status = 3004
	StatusCannotDeletePartition                      Status = 3005
	StatusCannotDeletePartitionDirectory             Status = 3006
	StatusPartitionNotFound                          Status = 3007
	StatusNoPartitions                               Status = 3008
	StatusTopicFull                                  Status = 3009
	StatusCannotDeleteConsumerOffsetsDirectory       Status = 3010
	StatusCannotDeleteConsumerOffsetFile             Status = 3011
	StatusCannotCreateConsumerOffsetsDirectory       Status = 3012
	StatusPartitionIdSpaceExhausted                  Status = 3013
	StatusCannotReadConsumerOffsets                  Status = 3020
	StatusConsumerOffsetNotFound                     Status = 3021
	StatusNotResolvedConsumer                        Status = 3022
	StatusCannotOpenConsumerOffsetsFile              Status = 3023
	StatusSegmentNotFound                            Status = 4000
	StatusSegmentClosed                              Status = 4001
	StatusInvalidSegmentSize                         Status = 4002
	StatusCannotCreateSegmentLogFile                 Status = 4003
	StatusCannotCreateSegmentIndexFile               Status = 4004
	StatusCannotCreateSegmentTimeIndexFile           Status = 4005
	StatusCannotSaveMessagesToSegment                Status = 4006
	StatusCannotSaveIndexToSegment                   Status = 4007
	StatusCannotSaveTimeIndexToSegment               Status = 4008
	StatusInvalidMessagesCount                       Status = 4009
	StatusCannotAppendMessage                        Status = 4010
	StatusCannotReadMessage                          Status = 4011
	StatusCannotReadMessageId                        Status = 4012
	StatusCannotReadMessageState                     Status = 4013
	StatusCannotReadMessageTimestamp                 Status = 4014
	StatusCannotReadHeadersLength                    Status = 4015
	StatusCannotReadHeadersPayload                   Status = 4016
	StatusTooBigUserHeaders                          Status = 4017
	StatusInvalidHeaderKey                           Status = 4018
	StatusInvalidHeaderValue                         Status = 4019
	StatusCannotReadMessageLength                    Status = 4020
	StatusCannotReadMessagePayload                   Status = 4021
	StatusTooBigMessagePayload                       Status = 4022
	StatusTooManyMessages                            Status = 4023
	StatusEmptyMessagePayload                        Status = 4024
	StatusInvalidMessagePayloadLength                Status = 4025
	StatusCannotReadMessageChecksum                  Status = 4026
	StatusInvalidMessageChecksum                     Status = 4027
	StatusInvalidKeyValueLength                      Status = 4028
	StatusCommandLengthError                         Status = 4029
	StatusInvalidSegmentsCount                       Status = 4030
	StatusNonZeroOffset                              Status = 4031
	StatusNonZeroTimestamp                           Status = 4032
	StatusMissingIndex                               Status = 4033
	StatusInvalidIndexesByteSize                     Status = 4034
	StatusInvalidIndexesCount                        Status = 4035
	StatusInvalidMessagesSize                        Status = 4036
	StatusTooSmallMessage                            Status = 4037
	StatusInvalidMessageTimestampDelta               Status = 4038
	StatusInvalidBatchChecksum                       Status = 4039
	StatusInvalidHeaderKind                          Status = 4040
	StatusUnsupportedOptionKey                       Status = 4041
	StatusInvalidOptionValue                         Status = 4042
	StatusOptionsBlockTooLarge                       Status = 4043
	StatusCannotSendMessagesDueToClientDisconnection Status = 4050
	StatusBackgroundSendError                        Status = 4051
	StatusBackgroundSendTimeout                      Status = 4052
	StatusBackgroundSendBufferFull                   Status = 4053
	StatusBackgroundWorkerDisconnected               Status = 4054
	StatusBackgroundSendBufferOverflow               Status = 4055
	StatusProducerSendFailed                         Status = 4056
	StatusProducerClosed                             Status = 4057
	StatusInvalidOffset                              Status = 4100
	StatusInvalidReservedField                       Status = 4101
	StatusConsumerGroupIdNotFound                    Status = 5000
	StatusInvalidConsumerGroupId                     Status = 5002
	StatusConsumerGroupNameNotFound                  Status = 5003
	StatusConsumerGroupNameAlreadyExists             Status = 5004
	StatusInvalidConsumerGroupName                   Status = 5005
	StatusConsumerGroupMemberNotFound                Status = 5006
	StatusCannotCreateConsumerGroupInfo              Status = 5007
	StatusCannotDeleteConsumerGroupInfo              Status = 5008
	StatusConsumerGroupPartitionNotOwned             Status = 5009
	StatusMissingBaseOffsetRetainedMessageBatch      Status = 6000
	StatusMissingLastOffsetDeltaRetainedMessageBatch Status = 6001
	StatusMissingMaxTimestampRetainedMessageBatch    Status = 6002
	StatusMissingLengthRetainedMessageBatch          Status = 6003
	StatusMissingPayloadRetainedMessageBatch         Status = 6004
	StatusCannotReadBatchBaseOffset                  Status = 7000
	StatusCannotReadBatchLength                      Status = 7001
	StatusCannotReadLastOffsetDelta                  Status = 7002
	StatusCannotReadMaxTimestamp                     Status = 7003
	StatusCannotReadBatchPayload                     Status = 7004
	StatusInvalidConnectionString                    Status = 8000
	StatusSnapshotFileCompletionFailed               Status = 9000
	StatusCannotSerializeResource                    Status = 10000
	StatusCannotDeserializeResource                  Status = 10001
	StatusCannotReadFile                             Status = 10002
	StatusCannotReadFileMetadata                     Status = 10003
	StatusCannotSeekFile                             Status = 10004
	StatusCannotAppendToFile                         Status = 10005
	StatusCannotWriteToFile                          Status = 10006
	StatusCannotOverwriteFile                        Status = 10007
	StatusCannotDeleteFile                           Status = 10008
	StatusCannotSyncFile                             Status = 10009
	StatusCannotReadIndexOffset                      Status = 10010
	StatusCannotReadIndexPosition                    Status = 10011
	StatusCannotReadIndexTimestamp                   Status = 10012
	StatusTimestampOutOfRange                        Status = 10013
	StatusShardNotFound                              Status = 11000
	StatusShardCommunicationError                    Status = 11001
	StatusCannotBindToSocket                         Status = 12000
	StatusTaskTimeout                                Status = 12001
	StatusIoError                                    Status = 13000
	StatusAlreadyAuthenticated                       Status = 14000
	StatusInvalidSession                             Status = 14001
	StatusIncompatibleProtocolVersion                Status = 14003
)

var statusNames = map[Status]string{
	StatusOK:                                         "OK",
	StatusError:                                      "Error",
	StatusInvalidConfiguration:                       "InvalidConfiguration",
	StatusInvalidCommand:                             "InvalidCommand",
	StatusInvalidFormat:                              "InvalidFormat",
	StatusFeatureUnavailable:                         "FeatureUnavailable",
	StatusInvalidIdentifier:                          "InvalidIdentifier",
	StatusInvalidVersion:                             "InvalidVersion",
	StatusDisconnected:                               "Disconnected",
	StatusCannotEstablishConnection:                  "CannotEstablishConnection",
	StatusCannotCreateBaseDirectory:                  "CannotCreateBaseDirectory",
	StatusCannotCreateRuntimeDirectory:               "CannotCreateRuntimeDirectory",
	StatusCannotRemoveRuntimeDirectory:               "CannotRemoveRuntimeDirectory",
	StatusCannotCreateStateDirectory:                 "CannotCreateStateDirectory",
	StatusStateFileNotFound:                          "StateFileNotFound",
	StatusStateFileCorrupted:                         "StateFileCorrupted",
	StatusInvalidStateEntryChecksum:                  "InvalidStateEntryChecksum",
	StatusCannotOpenDatabase:                         "CannotOpenDatabase",
	StatusResourceNotFound:                           "ResourceNotFound",
	StatusCannotCloseWebSocketConnection:             "CannotCloseWebSocketConnection",
	StatusStaleClient:                                "StaleClient",
	StatusTcpError:                                   "TcpError",
	StatusQuicError:                                  "QuicError",
	StatusInvalidServerAddress:                       "InvalidServerAddress",
	StatusInvalidClientAddress:                       "InvalidClientAddress",
	StatusInvalidIpAddress:                           "InvalidIpAddress",
	StatusHttpError:                                  "HttpError",
	StatusInvalidApiUrl:                              "InvalidApiUrl",
	StatusUnauthenticated:                            "Unauthenticated",
	StatusUnauthorized:                               "Unauthorized",
	StatusInvalidCredentials:                         "InvalidCredentials",
	StatusInvalidUsername:                            "InvalidUsername",
	StatusInvalidPassword:                            "InvalidPassword",
	StatusInvalidUserStatus:                          "InvalidUserStatus",
	StatusUserAlreadyExists:                          "UserAlreadyExists",
	StatusUserInactive:                               "UserInactive",
	StatusCannotDeleteUser:                           "CannotDeleteUser",
	StatusCannotChangePermissions:                    "CannotChangePermissions",
	StatusInvalidPersonalAccessTokenName:             "InvalidPersonalAccessTokenName",
	StatusPersonalAccessTokenAlreadyExists:           "PersonalAccessTokenAlreadyExists",
	StatusPersonalAccessTokensLimitReached:           "PersonalAccessTokensLimitReached",
	StatusInvalidPersonalAccessToken:                 "InvalidPersonalAccessToken",
	StatusPersonalAccessTokenExpired:                 "PersonalAccessTokenExpired",
	StatusUsersLimitReached:                          "UsersLimitReached",
	StatusInvalidPersonalAccessTokenExpiry:           "InvalidPersonalAccessTokenExpiry",
	StatusTransientNotCommitted:                      "TransientNotCommitted",
	StatusTransientNotAccepted:                       "TransientNotAccepted",
	StatusRequestAlreadyApplied:                      "RequestAlreadyApplied",
	StatusNotConnected:                               "NotConnected",
	StatusClientShutdown:                             "ClientShutdown",
	StatusInvalidTlsDomain:                           "InvalidTlsDomain",
	StatusInvalidTlsCertificatePath:                  "InvalidTlsCertificatePath",
	StatusInvalidTlsCertificate:                      "InvalidTlsCertificate",
	StatusFailedToAddCertificate:                     "FailedToAddCertificate",
	StatusInvalidEncryptionKey:                       "InvalidEncryptionKey",
	StatusCannotEncryptData:                          "CannotEncryptData",
	StatusCannotDecryptData:                          "CannotDecryptData",
	StatusInvalidJwtAlgorithm:                        "InvalidJwtAlgorithm",
	StatusInvalidJwtSecret:                           "InvalidJwtSecret",
	StatusJwtMissing:                                 "JwtMissing",
	StatusCannotGenerateJwt:                          "CannotGenerateJwt",
	StatusAccessTokenMissing:                         "AccessTokenMissing",
	StatusInvalidAccessToken:                         "InvalidAccessToken",
	StatusCannotFetchJwks:                            "CannotFetchJwks",
	StatusInvalidSizeBytes:                           "InvalidSizeBytes",
	StatusInvalidUtf8:                                "InvalidUtf8",
	StatusInvalidNumberEncoding:                      "InvalidNumberEncoding",
	StatusInvalidBooleanValue:                        "InvalidBooleanValue",
	StatusInvalidNumberValue:                         "InvalidNumberValue",
	StatusClientNotFound:                             "ClientNotFound",
	StatusInvalidClientId:                            "InvalidClientId",
	StatusConnectionClosed:                           "ConnectionClosed",
	StatusCannotParseHeaderKind:                      "CannotParseHeaderKind",
	StatusHttpResponseError:                          "HttpResponseError",
	StatusInvalidHttpRequest:                         "InvalidHttpRequest",
	StatusInvalidJsonResponse:                        "InvalidJsonResponse",
	StatusInvalidBytesResponse:                       "InvalidBytesResponse",
	StatusEmptyResponse:                              "EmptyResponse",
	StatusCannotCreateEndpoint:                       "CannotCreateEndpoint",
	StatusCannotParseUrl:                             "CannotParseUrl",
	StatusWebSocketError:                             "WebSocketError",
	StatusWebSocketConnectionError:                   "WebSocketConnectionError",
	StatusWebSocketCloseError:                        "WebSocketCloseError",
	StatusWebSocketReceiveError:                      "WebSocketReceiveError",
	StatusWebSocketSendError:                         "WebSocketSendError",
	StatusCannotCreateStreamsDirectory:               "CannotCreateStreamsDirectory",
	StatusCannotCreateStreamDirectory:                "CannotCreateStreamDirectory",
	StatusCannotCreateStreamInfo:                     "CannotCreateStreamInfo",
	StatusCannotUpdateStreamInfo:                     "CannotUpdateStreamInfo",
	StatusCannotOpenStreamInfo:                       "CannotOpenStreamInfo",
	StatusCannotReadStreamInfo:                       "CannotReadStreamInfo",
	StatusCannotCreateStream:                         "CannotCreateStream",
	StatusCannotDeleteStream:                         "CannotDeleteStream",
	StatusCannotDeleteStreamDirectory:                "CannotDeleteStreamDirectory",
	StatusStreamIdNotFound:                           "StreamIdNotFound",
	StatusStreamNameNotFound:                         "StreamNameNotFound",
	StatusStreamDirectoryNotFound:                    "StreamDirectoryNotFound",
	StatusStreamNameAlreadyExists:                    "StreamNameAlreadyExists",
	StatusInvalidStreamName:                          "InvalidStreamName",
	StatusInvalidStreamId:                            "InvalidStreamId",
	StatusCannotReadStreams:                          "CannotReadStreams",
	StatusInvalidTopicSize:                           "InvalidTopicSize",
	StatusTooManyStreams:                             "TooManyStreams",
	StatusCannotCreateTopicsDirectory:                "CannotCreateTopicsDirectory",
	StatusCannotCreateTopicDirectory:                 "CannotCreateTopicDirectory",
	StatusCannotCreateTopicInfo:                      "CannotCreateTopicInfo",
	StatusCannotUpdateTopicInfo:                      "CannotUpdateTopicInfo",
	StatusCannotOpenTopicInfo:                        "CannotOpenTopicInfo",
	StatusCannotReadTopicInfo:                        "CannotReadTopicInfo",
	StatusCannotCreateTopic:                          "CannotCreateTopic",
	StatusCannotDeleteTopic:                          "CannotDeleteTopic",
	StatusCannotDeleteTopicDirectory:                 "CannotDeleteTopicDirectory",
	StatusCannotPollTopic:                            "CannotPollTopic",
	StatusTopicIdNotFound:                            "TopicIdNotFound",
	StatusTopicNameNotFound:                          "TopicNameNotFound",
	StatusTopicNameAlreadyExists:                     "TopicNameAlreadyExists",
	StatusInvalidTopicName:                           "InvalidTopicName",
	StatusTooManyPartitions:                          "TooManyPartitions",
	StatusInvalidTopicId:                             "InvalidTopicId",
	StatusCannotReadTopics:                           "CannotReadTopics",
	StatusInvalidReplicationFactor:                   "InvalidReplicationFactor",
	StatusInvalidPartitionsCount:                     "InvalidPartitionsCount",
	StatusTopicDirectoryNotFound:                     "TopicDirectoryNotFound",
	StatusTooManyTopics:                              "TooManyTopics",
	StatusCannotCreatePartition:                      "CannotCreatePartition",
	StatusCannotCreatePartitionsDirectory:            "CannotCreatePartitionsDirectory",
	StatusCannotCreatePartitionDirectory:             "CannotCreatePartitionDirectory",
	StatusCannotOpenPartitionLogFile:                 "CannotOpenPartitionLogFile",
	StatusCannotReadPartitions:                       "CannotReadPartitions",
	StatusCannotDeletePartition:                      "CannotDeletePartition",
	StatusCannotDeletePartitionDirectory:             "CannotDeletePartitionDirectory",
	StatusPartitionNotFound:                          "PartitionNotFound",
	StatusNoPartitions:                               "NoPartitions",
	StatusTopicFull:                                  "TopicFull",
	StatusCannotDeleteConsumerOffsetsDirectory:       "CannotDeleteConsumerOffsetsDirectory",
	StatusCannotDeleteConsumerOffsetFile:             "CannotDeleteConsumerOffsetFile",
	StatusCannotCreateConsumerOffsetsDirectory:       "CannotCreateConsumerOffsetsDirectory",
	StatusPartitionIdSpaceExhausted:                  "PartitionIdSpaceExhausted",
	StatusCannotReadConsumerOffsets:                  "CannotReadConsumerOffsets",
	StatusConsumerOffsetNotFound:                     "ConsumerOffsetNotFound",
	StatusNotResolvedConsumer:                        "NotResolvedConsumer",
	StatusCannotOpenConsumerOffsetsFile:              "CannotOpenConsumerOffsetsFile",
	StatusSegmentNotFound:                            "SegmentNotFound",
	StatusSegmentClosed:                              "SegmentClosed",
	StatusInvalidSegmentSize:                         "InvalidSegmentSize",
	StatusCannotCreateSegmentLogFile:                 "CannotCreateSegmentLogFile",
	StatusCannotCreateSegmentIndexFile:               "CannotCreateSegmentIndexFile",
	StatusCannotCreateSegmentTimeIndexFile:           "CannotCreateSegmentTimeIndexFile",
	StatusCannotSaveMessagesToSegment:                "CannotSaveMessagesToSegment",
	StatusCannotSaveIndexToSegment:                   "CannotSaveIndexToSegment",
	StatusCannotSaveTimeIndexToSegment:               "CannotSaveTimeIndexToSegment",
	StatusInvalidMessagesCount:                       "InvalidMessagesCount",
	StatusCannotAppendMessage:                        "CannotAppendMessage",
	StatusCannotReadMessage:                          "CannotReadMessage",
	StatusCannotReadMessageId:                        "CannotReadMessageId",
	StatusCannotReadMessageState:                     "CannotReadMessageState",
	StatusCannotReadMessageTimestamp:                 "CannotReadMessageTimestamp",
	StatusCannotReadHeadersLength:                    "CannotReadHeadersLength",
	StatusCannotReadHeadersPayload:                   "CannotReadHeadersPayload",
	StatusTooBigUserHeaders:                          "TooBigUserHeaders",
	StatusInvalidHeaderKey:                           "InvalidHeaderKey",
	StatusInvalidHeaderValue:                         "InvalidHeaderValue",
	StatusCannotReadMessageLength:                    "CannotReadMessageLength",
	StatusCannotReadMessagePayload:                   "CannotReadMessagePayload",
	StatusTooBigMessagePayload:                       "TooBigMessagePayload",
	StatusTooManyMessages:                            "TooManyMessages",
	StatusEmptyMessagePayload:                        "EmptyMessagePayload",
	StatusInvalidMessagePayloadLength:                "InvalidMessagePayloadLength",
	StatusCannotReadMessageChecksum:                  "CannotReadMessageChecksum",
	StatusInvalidMessageChecksum:                     "InvalidMessageChecksum",
	StatusInvalidKeyValueLength:                      "InvalidKeyValueLength",
	StatusCommandLengthError:                         "CommandLengthError",
	StatusInvalidSegmentsCount:                       "InvalidSegmentsCount",
	StatusNonZeroOffset:                              "NonZeroOffset",
	StatusNonZeroTimestamp:                           "NonZeroTimestamp",
	StatusMissingIndex:                               "MissingIndex",
	StatusInvalidIndexesByteSize:                     "InvalidIndexesByteSize",
	StatusInvalidIndexesCount:                        "InvalidIndexesCount",
	StatusInvalidMessagesSize:                        "InvalidMessagesSize",
	StatusTooSmallMessage:                            "TooSmallMessage",
	StatusInvalidMessageTimestampDelta:               "InvalidMessageTimestampDelta",
	StatusInvalidBatchChecksum:                       "InvalidBatchChecksum",
	StatusInvalidHeaderKind:                          "InvalidHeaderKind",
	StatusUnsupportedOptionKey:                       "UnsupportedOptionKey",
	StatusInvalidOptionValue:                         "InvalidOptionValue",
	StatusOptionsBlockTooLarge:                       "OptionsBlockTooLarge",
	StatusCannotSendMessagesDueToClientDisconnection: "CannotSendMessagesDueToClientDisconnection",
	StatusBackgroundSendError:                        "BackgroundSendError",
	StatusBackgroundSendTimeout:                      "BackgroundSendTimeout",
	StatusBackgroundSendBufferFull:                   "BackgroundSendBufferFull",
	StatusBackgroundWorkerDisconnected:               "BackgroundWorkerDisconnected",
	StatusBackgroundSendBufferOverflow:               "BackgroundSendBufferOverflow",
	StatusProducerSendFailed:                         "ProducerSendFailed",
	StatusProducerClosed:                             "ProducerClosed",
	StatusInvalidOffset:                              "InvalidOffset",
	StatusInvalidReservedField:                       "InvalidReservedField",
	StatusConsumerGroupIdNotFound:                    "ConsumerGroupIdNotFound",
	StatusInvalidConsumerGroupId:                     "InvalidConsumerGroupId",
	StatusConsumerGroupNameNotFound:                  "ConsumerGroupNameNotFound",
	StatusConsumerGroupNameAlreadyExists:             "ConsumerGroupNameAlreadyExists",
	StatusInvalidConsumerGroupName:                   "InvalidConsumerGroupName",
	StatusConsumerGroupMemberNotFound:                "ConsumerGroupMemberNotFound",
	StatusCannotCreateConsumerGroupInfo:              "CannotCreateConsumerGroupInfo",
	StatusCannotDeleteConsumerGroupInfo:              "CannotDeleteConsumerGroupInfo",
	StatusConsumerGroupPartitionNotOwned:             "ConsumerGroupPartitionNotOwned",
	StatusMissingBaseOffsetRetainedMessageBatch:      "MissingBaseOffsetRetainedMessageBatch",
	StatusMissingLastOffsetDeltaRetainedMessageBatch: "MissingLastOffsetDeltaRetainedMessageBatch",
	StatusMissingMaxTimestampRetainedMessageBatch:    "MissingMaxTimestampRetainedMessageBatch",
	StatusMissingLengthRetainedMessageBatch:          "MissingLengthRetainedMessageBatch",
	StatusMissingPayloadRetainedMessageBatch:         "MissingPayloadRetainedMessageBatch",
	StatusCannotReadBatchBaseOffset:                  "CannotReadBatchBaseOffset",
	StatusCannotReadBatchLength:                      "CannotReadBatchLength",
	StatusCannotReadLastOffsetDelta:                  "CannotReadLastOffsetDelta",
	StatusCannotReadMaxTimestamp:                     "CannotReadMaxTimestamp",
	StatusCannotReadBatchPayload:                     "CannotReadBatchPayload",
	StatusInvalidConnectionString:                    "InvalidConnectionString",
	StatusSnapshotFileCompletionFailed:               "SnapshotFileCompletionFailed",
	StatusCannotSerializeResource:                    "CannotSerializeResource",
	StatusCannotDeserializeResource:                  "CannotDeserializeResource",
	StatusCannotReadFile:                             "CannotReadFile",
	StatusCannotReadFileMetadata:                     "CannotReadFileMetadata",
	StatusCannotSeekFile:                             "CannotSeekFile",
	StatusCannotAppendToFile:                         "CannotAppendToFile",
	StatusCannotWriteToFile:                          "CannotWriteToFile",
	StatusCannotOverwriteFile:                        "CannotOverwriteFile",
	StatusCannotDeleteFile:                           "CannotDeleteFile",
	StatusCannotSyncFile:                             "CannotSyncFile",
	StatusCannotReadIndexOffset:                      "CannotReadIndexOffset",
	StatusCannotReadIndexPosition:                    "CannotReadIndexPosition",
	StatusCannotReadIndexTimestamp:                   "CannotReadIndexTimestamp",
	StatusTimestampOutOfRange:                        "TimestampOutOfRange",
	StatusShardNotFound:                              "ShardNotFound",
	StatusShardCommunicationError:                    "ShardCommunicationError",
	StatusCannotBindToSocket:                         "CannotBindToSocket",
	StatusTaskTimeout:                                "TaskTimeout",
	StatusIoError:                                    "IoError",
	StatusAlreadyAuthenticated:                       "AlreadyAuthenticated",
	StatusInvalidSession:                             "InvalidSession",
	StatusIncompatibleProtocolVersion:                "IncompatibleProtocolVersion",
}
