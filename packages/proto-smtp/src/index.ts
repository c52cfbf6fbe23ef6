export const name = '@tunnel/proto-smtp';
