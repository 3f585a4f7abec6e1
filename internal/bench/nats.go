package bench

import (
	"context"
	"io"
)

func natsOnce(ctx context.Context, cfg *Config, w string, progress io.Writer) ([]Result, []string, error) {
	return nil, []string{"nats: not built yet"}, nil
}
