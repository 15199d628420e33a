using System.CommandLine;
using UserTcp.Cli.Commands;

var root = new RootCommand("usertcp: a user-space TCP/IP stack and its tools.")
{
    DecodeCommand.Create(),
    SimCommand.Create(),
    LabCommand.Create(),
    PingCommand.Create(),
    ConnectCommand.Create(),
    ServeCommand.Create(),
    GetCommand.Create(),
    PutCommand.Create(),
};
return root.Parse(args).Invoke();
