export const name = '@tunnel/cli';
