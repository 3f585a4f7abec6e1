package replica

const childEnv = "SHOAL_REPLICA_TEST_CHILD"

func runChild() int { return 2 }
