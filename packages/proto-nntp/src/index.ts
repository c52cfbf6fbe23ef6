export const name = '@tunnel/proto-nntp';
