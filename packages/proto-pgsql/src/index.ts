export const name = '@tunnel/proto-pgsql';
